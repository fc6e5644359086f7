"""A record that stays invalid at the source does not stall the sync: after three runs
that met it invalid it is quarantined, where an operator finds it (and in the report),
and the cursor moves past it, so the windows stay bounded; a record invalid in one
response only is fetched again and stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from function.quarantine import QUARANTINE_AFTER
from harness.aws import EmbeddedBackend
from harness.runner import RunOptions, RunResult, run
from mock_api import parse_plan


def _run(backend: EmbeddedBackend, tmp_path: Path, rules: list[dict[str, object]]) -> RunResult:
    return run(
        RunOptions(
            days=20,
            faults=parse_plan({"rules": rules}, "test"),
            report_dir=tmp_path,
            show_progress=False,
        ),
        backend=backend,
    )


def _windows(result: RunResult) -> list[timedelta]:
    """How far back each run's first request reached."""
    spans = []
    for entry in result.journal:
        query = entry.query
        since, until = query.get("updated_since"), query.get("updated_until")
        if since and until and "cursor" not in query:
            spans.append(_instant(until) - _instant(since))
    return spans


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_poison_records_are_quarantined_and_the_windows_stay_bounded(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    poison = {
        "match": {"path": "/records", "window": {"from": "3d"}},
        "fault": {"kind": "poison", "records": 2},
    }
    result = _run(harness_backend, tmp_path, [poison])
    report = result.report

    quarantined = report["quarantine"]
    assert len(quarantined) == 2
    assert all(q["reason"] and q["seen"] >= 3 for q in quarantined)
    windows = _windows(result)
    # Each poison version holds the cursor for three runs at most, then it moves on
    # (without the quarantine the window would grow every night, to 17 days here).
    assert max(windows) <= timedelta(days=2 * QUARANTINE_AFTER)
    assert windows[-5:] == [timedelta(days=1)] * 5
    assert report["truth"]["ok"], report["truth"]  # everything else is stored
    statuses = [f["sync_status"] for f in report["fires"]]
    assert statuses[-5:] == ["success"] * 5


def test_a_record_invalid_in_one_response_is_fetched_again_and_stored(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    once = {
        "match": {"path": "/records", "nth": [4]},
        "fault": {"kind": "invalid_records", "records": 3},
    }
    result = _run(harness_backend, tmp_path, [once])

    assert result.report["quarantine"] == []
    assert result.report["truth"]["ok"]
