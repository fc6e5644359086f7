"""The run's verdict for `harness run --check checks:every_expired_session_archived_once`."""

import json
from pathlib import Path

SEEDED = Path(__file__).parent / "data" / "dynamodb" / "Sessions.jsonl"


def every_expired_session_archived_once(report_dir: Path) -> None:
    report = json.loads((report_dir / "report.json").read_text())
    last_run = max(
        (a["at"] for f in report["fires"] for a in f["attempts"] if a["status"] == "succeeded"),
        default=None,
    )
    assert last_run is not None, "no run of the cleanup succeeded"
    seeded = {s["sessionId"]: s for s in map(json.loads, SEEDED.read_text().splitlines())}
    (table,) = (report_dir / "tables").glob("*Sessions*.jsonl")
    left = {s["sessionId"] for s in map(json.loads, table.read_text().splitlines())}
    archived = [
        json.loads(path.read_text())["sessionId"]
        for path in sorted((report_dir / "buckets").glob("*/archive/*.json"))
    ]
    assert set(archived).isdisjoint(left), "an archived session was not deleted"
    assert set(archived) | left == set(seeded), "a session went missing"
    cutoff = _epoch(last_run)
    overdue = [s for s in left if seeded[s]["expiresAt"] <= cutoff]
    assert not overdue, f"{len(overdue)} expired sessions outlived the last run: {overdue[:3]}"


def _epoch(iso):
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
