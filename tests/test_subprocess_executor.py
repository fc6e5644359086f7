"""`--executor subprocess`: a warm worker per function, killed at the timeout, restarted
cold after a timeout or a crash, on the harness's virtual clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from harness.clock import VirtualClock
from harness.errors import BadInput
from harness.runtime.base import FunctionSpec
from harness.runtime.worker_process import SubprocessExecutor

T0 = datetime(2026, 3, 1, 2, tzinfo=UTC)
SPEC = FunctionSpec(
    name="probe",
    arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
    handler="tests.fixture_handlers.handler",
    timeout_seconds=60,
    memory_mb=256,
    environment={"AWS_REGION": "us-east-1"},
)


@pytest.fixture
def executor() -> Iterator[tuple[SubprocessExecutor, VirtualClock]]:
    clock = VirtualClock(T0)
    with SubprocessExecutor(SPEC, clock=clock, runtime_environment={}) as running:
        yield running, clock


def test_the_worker_is_warm_between_invocations_with_the_lambda_environment(
    executor: tuple[SubprocessExecutor, VirtualClock],
) -> None:
    running, _ = executor

    first = running.invoke({}, "r-1")
    second = running.invoke({}, "r-2")

    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert (first.cold, second.cold) == (True, False)
    assert first.response["pid"] == second.response["pid"]
    assert first.response["handler"] == "tests.fixture_handlers.handler"
    assert first.response["memory"] == "256"
    assert first.response["region"] == "us-east-1"
    assert first.response["remaining_ms"] == 60_000  # on the virtual clock
    assert first.response["now"] == T0.isoformat()
    assert [json.loads(line) for line in first.logs] == [
        {"timestamp": "2026-03-01T02:00:00.000Z", "requestId": "r-1", "message": "hello from probe"}
    ]


def test_a_timeout_kills_the_worker_at_the_deadline_and_the_next_start_re_runs_init(
    executor: tuple[SubprocessExecutor, VirtualClock],
) -> None:
    running, clock = executor
    before = running.invoke({}, "r-1").response["pid"]

    timed_out = running.invoke({"mode": "sleep"}, "r-2")
    after = running.invoke({}, "r-3")

    assert timed_out.status == "timeout"
    assert timed_out.duration_ms == 60_000
    assert clock.now() == T0 + timedelta(seconds=60)
    assert after.response["pid"] != before  # a fresh worker
    assert after.suppressed_init and not after.cold  # Lambda's suppressed init: no Init Duration


def test_a_crash_is_a_function_error_and_a_cold_restart(
    executor: tuple[SubprocessExecutor, VirtualClock],
) -> None:
    running, _ = executor

    crashed = running.invoke({"mode": "crash"}, "r-1")
    after = running.invoke({}, "r-2")

    assert crashed.status == "function_error"
    assert "exited" in (crashed.error or "")
    assert after.status == "succeeded" and after.cold
    assert running.cold_starts == 2


def test_an_exception_is_a_function_error_in_a_worker_that_stays_warm(
    executor: tuple[SubprocessExecutor, VirtualClock],
) -> None:
    running, _ = executor

    raised = running.invoke({"mode": "raise"}, "r-1")
    after = running.invoke({}, "r-2")

    assert raised.status == "function_error"
    assert raised.error == "ValueError: bad input"
    assert '"errorType": "ValueError"' in raised.logs[0]
    assert not after.cold


def test_a_handler_that_does_not_import_is_bad_input() -> None:
    broken = FunctionSpec(**{**SPEC.__dict__, "handler": "tests.nowhere.handler"})

    with pytest.raises(BadInput, match="worker did not start"):
        SubprocessExecutor(broken, clock=VirtualClock(T0), runtime_environment={}).__enter__()


def test_stderr_is_logged_and_never_blocks_the_worker() -> None:
    chatty = FunctionSpec(**{**SPEC.__dict__, "handler": "tests.fixture_handlers.noisy"})
    with SubprocessExecutor(chatty, clock=VirtualClock(T0), runtime_environment={}) as running:
        result = running.invoke({"lines": 20_000}, "r-1")  # ~1 MB, far beyond a pipe

    assert result.status == "succeeded"
    assert len(result.logs) == 20_000
    assert result.logs[-1].startswith("log line 19999 ")


def test_writes_to_stdout_by_any_route_are_logs_not_protocol(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBE_SECRET", "harness-only")
    raw = FunctionSpec(**{**SPEC.__dict__, "handler": "tests.fixture_handlers.raw_stdout"})
    with SubprocessExecutor(raw, clock=VirtualClock(T0), runtime_environment={}) as running:
        first = running.invoke({}, "r-1")
        second = running.invoke({}, "r-2")

    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert first.response == "no secret here"  # the harness's environment stays out
    assert any("from a child" in line for line in first.logs)
