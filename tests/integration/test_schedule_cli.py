"""`python -m harness schedule next|explain`, as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli import harness


def test_next_prints_instants_strictly_after_in_utc() -> None:
    answer = harness(
        "schedule", "next", "cron(0 8 1 * ? *)", "--after", "2026-03-01T08:00:00Z", "--count", "3"
    )

    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.splitlines() == [
        "2026-04-01T08:00:00Z",
        "2026-05-01T08:00:00Z",
        "2026-06-01T08:00:00Z",
    ]


def test_next_reads_the_expression_in_its_time_zone() -> None:
    answer = harness(
        "schedule",
        "next",
        "cron(30 2 * * ? *)",
        "--tz",
        "America/Los_Angeles",
        "--after",
        "2026-03-07T00:00:00Z",
        "--count",
        "2",
    )

    assert answer.stdout.splitlines() == ["2026-03-07T10:30:00Z", "2026-03-09T09:30:00Z"]


def test_next_prints_fewer_lines_when_fewer_fires_exist() -> None:
    answer = harness(
        "schedule",
        "next",
        "at(2026-05-01T09:00:00)",
        "--after",
        "2026-03-01T00:00:00Z",
        "--count",
        "5",
    )

    assert answer.returncode == 0
    assert answer.stdout.splitlines() == ["2026-05-01T09:00:00Z"]


def test_explain_describes_and_lists_fires_in_both_zones() -> None:
    answer = harness(
        "schedule",
        "explain",
        "cron(15 10 ? * 6L *)",
        "--tz",
        "Europe/Berlin",
        "--after",
        "2026-03-01T00:00:00Z",
        "--count",
        "2",
    )

    assert answer.returncode == 0, answer.stderr
    assert "At 10:15, on the last Friday of the month (Europe/Berlin)." in answer.stdout
    assert "2026-03-27 09:15 Fri" in answer.stdout
    assert "2026-03-27 10:15 Fri CET" in answer.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cron(0 2 * * ?)"], "6 fields"),
        (["cron(0 2 * * ? * *)"], "got 7"),
        ([""], "expected cron(...), rate(...) or at(...)"),
        (["rate(1 fortnight)"], "unit"),
        (["rate(0 minutes)"], "positive integer"),
        (["cron(0 2 * * ? *)", "--tz", "Atlantis/Capital"], "IANA"),
        (["at(2026-13-01T00:00:00)"], "not a valid date"),
        (["cron(0 2 ? * 0 *)"], "day-of-week: 0 is out of range 1-7 (1 = SUN)"),
        (["cron(0 2 * * ? *)", "--after", "later"], "--after"),
        (["cron(0 2 * * ? *)", "--count", "0"], "--count"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    answer = harness("schedule", "next", *args)

    assert answer.returncode == 2
    assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
    assert message in answer.stderr


def test_run_accepts_scheduler_schedules_with_a_time_zone(tmp_path: Path) -> None:
    answer = harness(
        "run",
        "--schedule",
        "cron(30 1 * * ? *)",
        "--tz",
        "America/Los_Angeles",
        "--start",
        "2026-10-31T00:00:00Z",
        "--days",
        "3",
        "--report-dir",
        str(tmp_path),
        "--no-progress",
    )

    assert answer.returncode == 0, answer.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert [f["scheduled_time"] for f in report["fires"]] == [
        "2026-10-31T08:30:00Z",
        "2026-11-01T08:30:00Z",
        "2026-11-02T09:30:00Z",
    ]
    assert all(f["outcome"] == "succeeded" for f in report["fires"])
