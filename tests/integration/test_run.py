"""`harness run` end to end: the final tables against the mock API's ground truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.runner import RunOptions, run

from .cli import harness

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_thirty_days_end_with_the_ground_truth_under_retention(tmp_path: Path) -> None:
    keep_days = 7
    result = run(
        RunOptions(
            start=START,
            days=30,
            seed=11,
            report_dir=tmp_path,
            environment={"KEEP_RECORDS_DAYS": str(keep_days)},
            show_progress=False,
        )
    )

    report = result.report
    assert report["totals"]["fires"] == 30
    assert report["totals"]["succeeded"] == 30
    last_fire = START + timedelta(days=29, hours=2)
    cutoff = (last_fire - timedelta(days=keep_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    truth = result.dataset.state_at(last_fire)
    table = {item["id"]: item for item in result.tables["SyncRecords"]}
    assert set(table) == set(truth)
    for record_id, record in truth.items():
        stored = table[record_id]
        assert {field: stored[field] for field in record} == record
        expired = record["createdAt"] < cutoff  # the seed's rule: by creation
        assert stored["isActive"] is not expired
        assert ("archivedAt" in stored) is expired
    syncs = result.tables["DailySync"]
    assert [s["syncId"] for s in syncs] == [f["sync_id"] for f in report["fires"]]
    assert (
        sum(f["records_processed"] for f in report["fires"])
        == report["totals"]["records_processed"]
    )


def test_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    def once(directory: Path) -> tuple[object, str]:
        result = run(
            RunOptions(start=START, days=4, seed=5, report_dir=directory, show_progress=False)
        )
        fires = [
            {**fire, "attempts": [{**a, "wall_ms": 0} for a in fire["attempts"]]}
            for fire in result.report["fires"]
        ]
        return fires, (directory / "tables" / "SyncRecords.jsonl").read_text()

    assert once(tmp_path / "a") == once(tmp_path / "b")


def test_cli_writes_the_report_contract(tmp_path: Path) -> None:
    answer = harness(
        "run",
        "--schedule",
        "rate(12 hours)",
        "--days",
        "3",
        "--seed",
        "2",
        "--start",
        "2026-03-01T00:00:00Z",
        "--report-dir",
        str(tmp_path),
        "--no-progress",
    )

    assert answer.returncode == 0, answer.stderr
    assert str(tmp_path / "report.json") in answer.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    for key in ("schedule", "start", "end", "seed", "wall_seconds", "virtual_seconds", "fires"):
        assert key in report
    assert report["virtual_seconds"] == 3 * 86400
    assert report["totals"]["fires"] == len(report["fires"]) == 5
    fire = report["fires"][0]
    assert fire["scheduled_time"] == "2026-03-01T12:00:00Z"
    assert fire["outcome"] == "succeeded"
    assert set(fire["attempts"][0]) >= {"at", "status", "duration_ms", "error"}
    lines = (tmp_path / "tables" / "SyncRecords.jsonl").read_text().splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)
    assert (tmp_path / "tables" / "DailySync.jsonl").exists()


def test_a_failing_function_is_a_result_not_a_crash(tmp_path: Path) -> None:
    answer = harness(
        "run",
        "--days",
        "2",
        "--report-dir",
        str(tmp_path),
        "--no-progress",
        "--env",
        "EXTERNAL_API_URL=not-a-url",
    )

    assert answer.returncode == 0, answer.stderr
    assert "Traceback" not in answer.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    # Lambda retries each twice, then the event goes to the on-failure destination.
    assert report["totals"]["dlq"] == 2
    assert report["totals"]["function_errors"] == 6
    assert "EXTERNAL_API_URL" in report["fires"][0]["attempts"][0]["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--schedule", "cron(0 2 * * ? * *)"], "6 fields"),
        (["run", "--schedule", "rate(1 minutes)"], "must be written 1 minute"),
        (["run", "--bogus"], "--bogus"),
        (["run", "--days", "-1"], "--days"),
        (["run", "--start", "someday"], "--start"),
        (["run", "--tz", "Nowhere/City"], "IANA"),
        (["run", "--executor", "lambda"], "--executor"),
        (["run", "--transport", "sockets"], "--transport must be direct or http"),
        (["run", "--env", "NOEQUALS"], "NAME=value"),
        (["fly"], "fly"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    answer = harness(*args)

    assert answer.returncode == 2
    assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
    assert message in answer.stderr


def test_an_unwritable_report_dir_is_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    answer = harness("run", "--days", "1", "--report-dir", str(blocker / "sub"))

    assert answer.returncode == 2
    assert len(answer.stderr.strip().splitlines()) == 1
    assert "not writable" in answer.stderr
