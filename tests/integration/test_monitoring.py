"""The seed's monitoring on the virtual timeline: the function's EMF metrics and
Lambda's own metrics in report.json, and the deployed alarms evaluated over the run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.aws.embedded import EmbeddedBackend
from harness.runner import RunOptions, run

START = datetime(2026, 1, 1, tzinfo=UTC)


def monitored(tmp_path: Path, backend: EmbeddedBackend, faults: str) -> dict[str, Any]:
    options = RunOptions(
        start=START, days=40, faults=faults, report_dir=tmp_path, show_progress=False
    )
    return run(options, backend=backend).report


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory, harness_backend: EmbeddedBackend) -> Any:
    return monitored(tmp_path_factory.mktemp("outage"), harness_backend, "outage")


def test_an_outage_trips_the_errors_alarm_and_it_clears(outage: dict[str, Any]) -> None:
    alarms = {alarm["name"]: alarm for alarm in outage["alarms"]}
    errors = alarms["scheduled-sync-errors"]

    states = [t["state"] for t in errors["transitions"]]
    assert states[0] == "INSUFFICIENT_DATA"
    assert "ALARM" in states and errors["final_state"] == "OK"
    failed = [
        attempt["at"]
        for fire in outage["fires"]
        for attempt in fire["attempts"]
        if attempt["status"] == "function_error"
    ]
    first_alarm = next(t for t in errors["transitions"] if t["state"] == "ALARM")
    assert failed and first_alarm["at"] > min(failed)  # at the end of that error's period
    assert alarms["scheduled-sync-duration"]["times_in_alarm"] == 0


def test_metrics_add_up_to_the_runs(outage: dict[str, Any]) -> None:
    metrics = outage["metrics"]
    runs = [
        a
        for fire in outage["fires"]
        for a in fire["attempts"]
        if a["layer"] in ("lambda", "duplicate")
    ]

    assert metrics["AWS/Lambda/Invocations"]["samples"] == len(runs)
    assert metrics["AWS/Lambda/Errors"]["sum"] == sum(
        1 for a in runs if a["status"] in ("function_error", "timeout")
    )
    assert metrics["ScheduledSync/RecordsProcessed"]["sum"] == outage["totals"]["records_processed"]
    assert metrics["ScheduledSync/Failures"]["sum"] >= 1
    periods = outage["lambda_metrics"]["periods"]  # Lambda's graph, per 5 minutes
    assert sum(p[1] for p in periods) == len(runs)
    assert sum(p[2] for p in periods) == metrics["AWS/Lambda/Errors"]["sum"]


def test_a_quiet_run_never_alarms(tmp_path: Path, backend: EmbeddedBackend) -> None:
    report = monitored(tmp_path, backend, "none")

    assert [a["times_in_alarm"] for a in report["alarms"]] == [0, 0]
    assert {a["final_state"] for a in report["alarms"]} == {"OK"}
