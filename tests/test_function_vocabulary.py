"""The function speaks the seed's log vocabulary: SUCCESS and PERFORMANCE levels,
SYNC_COMPLETED with recordsProcessed and duration, API_FAILURE with url and error,
EXECUTION_COMPLETED / EXECUTION_FAILED with the seed's fields, the per-run
"N successful, M failed" line, and timestamps with milliseconds."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from mock_api import Dataset, create_app, parse_plan

from .conftest import START, TOKEN, MakeStack, Stack

RUN = START + timedelta(days=2, hours=2)


def _events(lines: list[str]) -> list[dict[str, Any]]:
    return [e for e in map(json.loads, lines) if "event" in e]


def _by_name(events: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for e in events if e["event"] == name)


def test_a_good_run_logs_success_and_performance_with_the_seeds_fields(stack: Stack) -> None:
    events = _events(stack.invoke(RUN).logs)

    completed = _by_name(events, "SYNC_COMPLETED")
    assert completed["level"] == "SUCCESS"
    assert completed["metadata"]["recordsProcessed"] > 0
    assert completed["metadata"]["duration"] == completed["metadata"]["durationMs"]
    execution = _by_name(events, "EXECUTION_COMPLETED")
    assert execution["level"] == "PERFORMANCE"
    assert set(execution["metadata"]) == {"durationMs", "recordsProcessed", "avgTimePerRecord"}
    written = completed["metadata"]["recordsProcessed"]
    database = _by_name(events, "DATABASE_OPERATIONS")["metadata"]
    assert database["message"] == f"Database operations: {written} successful, 0 failed"
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["timestamp"]) for e in events
    )


def test_log_level_warn_hides_success_and_performance(make_stack: MakeStack) -> None:
    with make_stack(env={"LOG_LEVEL": "WARN"}) as stack:
        levels = {e["level"] for e in _events(stack.invoke(RUN).logs)}

    assert not levels & {"SUCCESS", "PERFORMANCE", "INFO"}


def test_a_failing_fetch_logs_api_failure_and_execution_failed(make_stack: MakeStack) -> None:
    down = parse_plan({"rules": [{"match": {"path": "/records"}, "fault": {"status": 503}}]})
    app = create_app(Dataset(seed=7, origin=START, changes_per_day=40), token=TOKEN, faults=down)
    with make_stack(app=app, env={"API_MAX_ATTEMPTS": "2"}) as stack:
        result = stack.invoke(RUN)
    events = _events(result.logs)

    assert result.status == "function_error"
    failure = _by_name(events, "API_FAILURE")
    assert failure["level"] == "ERROR"
    assert failure["metadata"]["url"].endswith("/records") and "503" in failure["metadata"]["error"]
    failed = _by_name(events, "EXECUTION_FAILED")
    assert failed["level"] == "PERFORMANCE" and failed["metadata"]["failurePoint"] == "data-fetch"


@pytest.mark.parametrize(
    ("level", "shown"),
    [("SUCCESS", {"SUCCESS"}), ("PERFORMANCE", {"PERFORMANCE", "INFO", "SUCCESS"})],
)
def test_the_seeds_levels_are_log_levels_too(
    make_stack: MakeStack, level: str, shown: set[str]
) -> None:
    with make_stack(env={"LOG_LEVEL": level}) as stack:
        levels = {e["level"] for e in _events(stack.invoke(RUN).logs)}

    assert levels == shown  # a quiet good run: nothing at WARN or ERROR
