"""`harness run --faults`: the function copes with every shipped profile, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.runner import RunOptions, RunResult, run
from mock_api import same_requests

from .cli import harness

START = datetime(2026, 3, 1, tzinfo=UTC)


def run_with(faults: str, days: float, tmp_path: Path, seed: int = 3) -> RunResult:
    return run(
        RunOptions(
            start=START,
            days=days,
            seed=seed,
            faults=faults,
            report_dir=tmp_path,
            show_progress=False,
        )
    )


def fired_on(result: RunResult, outcome: str) -> list[int]:
    """Day numbers (0-based from the start) of the fires with this outcome."""
    return [
        (datetime.fromisoformat(f["scheduled_time"].replace("Z", "+00:00")) - START).days
        for f in result.report["fires"]
        if f["outcome"] == outcome
    ]


def assert_caught_up(result: RunResult) -> None:
    """The table holds the truth as of the last fully successful run, and that run is
    the last run unless the run's last occurrences themselves met faults."""
    truth = result.report["truth"]
    assert truth["ok"], truth
    fully = [f["scheduled_time"] for f in result.report["fires"] if f["sync_status"] == "success"]
    assert truth["caught_up_to"] == fully[-1]


def assert_caught_up_to_the_last_fire(result: RunResult) -> None:
    assert_caught_up(result)
    assert result.report["truth"]["caught_up_to"] == result.report["fires"][-1]["scheduled_time"]


def test_no_faults_means_no_faulted_request(tmp_path: Path) -> None:
    result = run_with("none", 5, tmp_path)

    assert result.report["faults"]["faulted"] == 0
    assert result.report["totals"]["succeeded"] == 5
    assert_caught_up_to_the_last_fire(result)


def test_flaky_costs_retries_but_no_run_and_no_record(tmp_path: Path) -> None:
    result = run_with("flaky", 30, tmp_path)

    faults = result.report["faults"]
    assert faults["faulted"] > 0
    assert set(faults["by_fault"]) <= {"503", "500", "delay 1500ms"}
    assert result.report["totals"]["failed"] == 0
    assert_caught_up_to_the_last_fire(result)


def test_rate_limited_runs_wait_as_long_as_retry_after_asks(tmp_path: Path) -> None:
    result = run_with("rate-limited", 20, tmp_path)

    journal = result.journal
    limited = [i for i, e in enumerate(journal[:-1]) if e.status == 429]
    assert limited
    for i in limited:
        asked = {"burst at the start of the first run": 30, "every fifth request": 10}
        rule = result.report["faults"]["rules"][journal[i].rule]
        waited = _seconds_between(journal[i].logical_time, journal[i + 1].logical_time)
        assert waited >= asked.get(rule["name"], 90), (journal[i], journal[i + 1])
    assert result.report["totals"]["failed"] == 0
    assert_caught_up_to_the_last_fire(result)


def test_an_outage_fails_its_days_and_the_next_run_catches_up(tmp_path: Path) -> None:
    result = run_with("outage", 16, tmp_path)

    # Each outage day: the run and Lambda's two retries fail, and the event goes to the
    # on-failure destination.
    assert fired_on(result, "dlq") == [10, 11, 12]
    failed = [f for f in result.report["fires"] if f["outcome"] == "dlq"]
    for fire in failed:
        assert [a["reason"] for a in fire["attempts"]] == [
            "first delivery",
            "lambda retry 1",
            "lambda retry 2",
        ]
        assert all("external API" in a["error"] for a in fire["attempts"])
        assert fire["dead_letter"]["condition"] == "RetriesExhausted"
    catch_up = result.report["fires"][13]
    assert catch_up["outcome"] == "succeeded"
    assert catch_up["records_processed"] > 3 * 80  # four days of changes at once
    assert_caught_up_to_the_last_fire(result)


def test_bad_data_makes_runs_partial_and_stores_only_valid_records(tmp_path: Path) -> None:
    result = run_with("bad-data", 30, tmp_path)

    assert result.report["totals"]["partial"] > 0
    assert result.report["faults"]["by_fault"].get("invalid_records", 0) > 0
    stored_ids = [item["id"] for item in result.tables["SyncRecords"]]
    assert len(stored_ids) == len(set(stored_ids))
    assert_caught_up(result)


def test_chaos_loses_nothing(tmp_path: Path) -> None:
    result = run_with("chaos", 30, tmp_path)

    assert 20 in fired_on(result, "dlq")  # the one-day outage
    assert len(result.report["faults"]["by_fault"]) >= 5
    assert_caught_up(result)


def test_the_same_seed_and_rules_give_the_same_journal(tmp_path: Path) -> None:
    first = run_with("chaos", 16, tmp_path / "a", seed=8)
    second = run_with("chaos", 16, tmp_path / "b", seed=8)
    other = run_with("chaos", 16, tmp_path / "c", seed=9)

    assert same_requests(first.journal, second.journal)
    assert not same_requests(first.journal, other.journal)


def test_the_journal_and_fault_summary_are_in_the_report_dir(tmp_path: Path) -> None:
    answer = harness(
        "run", "--days", "3", "--faults", "flaky", "--no-progress", "--report-dir", str(tmp_path)
    )

    assert answer.returncode == 0, answer.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert len(lines) == report["faults"]["requests"] > 0
    entry = json.loads(lines[0])
    assert {"logical_time", "wall_time", "method", "path", "query", "status", "fault"} <= set(entry)
    assert report["faults"]["source"] == "flaky"
    assert "external API" in answer.stdout


def test_a_rule_file_drives_the_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - match: {first: 3, window: {from: 1d 2h, to: 1d 3h}}\n"
        "    fault: {status: 503}\n"
    )

    answer = harness(
        "run",
        "--days",
        "3",
        "--faults",
        str(rules),
        "--no-progress",
        "--report-dir",
        str(tmp_path / "out"),
    )

    assert answer.returncode == 0, answer.stderr
    journal = [
        json.loads(line) for line in (tmp_path / "out" / "journal.jsonl").read_text().splitlines()
    ]
    assert [e["status"] for e in journal if e["fault"]] == [503, 503, 503]
    assert all(e["logical_time"].startswith("2026-01-02T02:") for e in journal if e["fault"])


def test_aws_rules_in_a_rule_file_go_through_the_fault_proxy(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "aws:\n"
        "  - match: {operation: 'dynamodb:BatchWriteItem', probability: 0.5,\n"
        "            window: {from: 1d, to: 2d}}\n"
        "    fault: {error: ProvisionedThroughputExceededException}\n"
        "  - name: never\n"
        "    match: {operation: 'sqs:*'}\n"
        "    fault: {error: InternalServerError}\n"
    )

    answer = harness(
        "run", "--days", "3", "--faults", str(rules), "--no-progress",
        "--report-dir", str(tmp_path / "out"),
    )  # fmt: skip

    assert answer.returncode == 0, answer.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    calls = [
        json.loads(line)
        for line in (tmp_path / "out" / "aws_journal.jsonl").read_text().splitlines()
    ]
    throttled = [c for c in calls if c["fault"]]
    assert throttled and {c["path"] for c in throttled} == {"dynamodb:BatchWriteItem"}
    assert all(c["logical_time"].startswith("2026-01-02") for c in throttled)
    assert report["aws_faults"]["faulted"] == len(throttled)
    assert report["totals"]["succeeded"] == 3  # the function rode the throttling out
    assert report["warnings"] == [
        "AWS fault rule 'never' (InternalServerError) never applied: no request qualified"
    ]
    assert "warning" in answer.stdout  # the summary shows it too


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "unknown fault profile 'sometimes'"),
        ("rules: [", "line"),
        ("rules:\n  - match: {probability: 1.5}\n    fault: {status: 503}\n", "probability"),
        ("rules:\n  - fault: {kind: meltdown}\n", "kind"),
    ],
)
def test_bad_fault_input_is_one_line_and_exit_2(
    tmp_path: Path, content: str | None, message: str
) -> None:
    spec = "sometimes"
    if content is not None:
        spec = str(tmp_path / "rules.yaml")
        Path(spec).write_text(content)

    answer = harness("run", "--days", "1", "--faults", spec, "--report-dir", str(tmp_path))

    assert answer.returncode == 2
    assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
    assert message in answer.stderr


def _seconds_between(a: str, b: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(b) - parse(a)).total_seconds()
