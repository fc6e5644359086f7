"""The planted handlers' users' checks (`--check planted_checks:...`)."""

import json
from pathlib import Path


def counts_each_occurrence_once(report_dir: Path) -> None:
    report = json.loads((Path(report_dir) / "report.json").read_text())
    succeeded = sum(fire["outcome"] == "succeeded" for fire in report["fires"])
    counted = 0
    for dump in (Path(report_dir) / "tables").glob("*.jsonl"):
        for line in dump.read_text().splitlines():
            item = json.loads(line)
            if item.get("syncId") == "counter#runs":
                counted = int(item["runs"])
    assert counted == succeeded, f"counted {counted} runs for {succeeded} occurrences"


def no_run_timed_out(report_dir: Path) -> None:
    report = json.loads((Path(report_dir) / "report.json").read_text())
    late = [
        attempt["at"]
        for fire in report["fires"]
        for attempt in fire["attempts"]
        if attempt["status"] == "timeout"
    ]
    assert not late, f"{len(late)} runs timed out, the first at {late[0] if late else ''}"
