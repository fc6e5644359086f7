"""Any handler lives in virtual time, under both executors: its clocks read the virtual
clock, its sleeps and timed waits move it instead of waiting, boto3's own retries back
off on it, and Lambda's timeout stops it however it catches exceptions."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from harness.aws import EmbeddedBackend
from harness.report import summary_table
from harness.runner import RunOptions, RunResult, run
from mock_api import parse_plan

HANDLERS = Path(__file__).resolve().parents[1] / "data" / "handlers"
EXECUTORS = ["inprocess", "subprocess"]


def _run(backend: EmbeddedBackend, tmp_path: Path, handler: str, **options: Any) -> RunResult:
    # Exact clock arithmetic: work costs no virtual time here unless a test says so
    # (test_handler_latency pins the latency model).
    options.setdefault("latency", "none")
    return run(
        RunOptions(
            handler=f"timely.handler.{handler}",
            code_dir=HANDLERS,
            report_dir=tmp_path,
            show_progress=False,
            **options,
        ),
        backend=backend,
    )


def _printed(result: RunResult) -> list[dict[str, Any]]:
    """The JSON lines the handler printed (logs.jsonl keeps a JSON line as it is)."""
    lines = (result.report_path.parent / "logs.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if "event_time" in r]


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_month_of_hourly_45_second_sleeps_takes_seconds_and_every_clock_agrees(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    started = time.perf_counter()
    result = _run(
        harness_backend,
        tmp_path,
        "sleeper",
        schedule="rate(1 hour)",
        days=30,
        executor=executor,
        latency="default",  # cold start, calls and the handler's own work cost time too
    )
    wall = time.perf_counter() - started

    assert wall < 60, f"a month took {wall:.1f} s of wall time"
    assert result.report["totals"]["succeeded"] == len(result.fires) == 719
    assert all(f.attempts[0].duration_ms >= 45_000 for f in result.fires)
    printed = _printed(result)
    assert len(printed) == 719
    for line in printed:
        scheduled = _instant(line["event_time"])
        before, after = line["before"], line["after"]
        # The event's time plus what was spent before the handler's first line: the
        # runtime's own work, and init on a cold start.
        spent = _instant(before["now"]) - scheduled
        assert timedelta(0) < spent < timedelta(seconds=1)
        assert _instant(after["now"]) == _instant(before["now"]) + timedelta(seconds=45)
        assert _instant(after["utcnow"]) == _instant(before["utcnow"]) + timedelta(seconds=45)
        for clock in ("time", "monotonic", "perf_counter"):
            assert after[clock] - before[clock] == pytest.approx(45, abs=1e-3), clock
        first, second = line["remaining"]
        assert 299_000 <= first < 300_000 and first - second == pytest.approx(45_000, abs=1)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_handler_that_sleeps_past_its_timeout_times_out_whatever_it_catches(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    result = _run(
        harness_backend,
        tmp_path,
        "overstayer",
        schedule="cron(0 2 * * ? *)",
        days=1,
        executor=executor,
        function_timeout=3,
        async_retry_attempts=0,
    )

    (fire,) = result.fires
    (attempt,) = fire.attempts
    assert attempt.status == "timeout"
    assert attempt.duration_ms == 3_000
    assert attempt.error == (
        f"Sandbox.Timedout: RequestId: {attempt.request_id} Error: Task timed out after"
        " 3.00 seconds"
    )
    assert fire.outcome == "dlq"
    console = Console(record=True, width=120)
    console.print(summary_table(result.report))
    shown = console.export_text()
    assert "failed: Sandbox.Timedout" in shown  # why attempts failed, in the summary
    assert "1 x, e.g. Task timed out after 3.00 seconds" in shown
    report = json.loads((tmp_path / "logs.jsonl").read_text().splitlines()[-1])["message"]
    assert report.startswith(f"REPORT RequestId: {attempt.request_id}\tDuration: 3000.00 ms")
    assert report.endswith("\tStatus: timeout\t")


@pytest.mark.parametrize("executor", EXECUTORS)
def test_timed_waits_in_event_loops_and_threads_move_the_virtual_clock(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    result = _run(
        harness_backend, tmp_path, "waiter", schedule="cron(0 2 * * ? *)", days=1, executor=executor
    )

    (line,) = _printed(result)
    scheduled = _instant(line["event_time"])
    assert _instant(line["asyncio"]) == scheduled + timedelta(seconds=35)  # 30 s, then 5 s
    assert _instant(line["event"]) == scheduled + timedelta(seconds=55)
    assert _instant(line["queue"]) == scheduled + timedelta(seconds=62)
    assert _instant(line["thread"]) == scheduled + timedelta(seconds=65)  # in the pool
    assert result.fires[0].attempts[0].duration_ms == 65_000


@pytest.mark.parametrize("retry_mode", ["legacy", "standard"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_boto3s_own_retry_backoff_waits_on_the_virtual_clock(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str, retry_mode: str
) -> None:
    throttled = parse_plan(
        {
            "aws": [
                {
                    "match": {"operation": "dynamodb:PutItem", "first": 2},
                    "fault": {"error": "ProvisionedThroughputExceededException"},
                }
            ]
        },
        "test",
    )
    result = _run(
        harness_backend,
        tmp_path,
        "writer",
        schedule="cron(0 2 * * ? *)",
        days=2,
        executor=executor,
        faults=throttled,
        environment={"RETRY_MODE": retry_mode},
    )

    assert [f.outcome for f in result.fires] == ["succeeded", "succeeded"]
    statuses = [e.status for e in result.aws_journal if e.path == "dynamodb:PutItem"]
    assert statuses == [400, 400, 200, 200]  # two throttles, retried by boto3, then one call
    first, second = _printed(result)
    assert first["put_seconds"] > 0  # the backoff was spent on the virtual clock
    # (Within 2 ms: once in many runs the subprocess executor's Duration came out 1 ms
    # under the handler's own reading; noted for a look.)
    assert result.fires[0].attempts[0].duration_ms == pytest.approx(
        first["put_seconds"] * 1000, abs=2
    )
    assert second["put_seconds"] == 0


def test_a_users_own_template_fires_by_its_schedule_and_the_report_says_which(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    own = HANDLERS.parent / "own_stack"  # its own table, role, function and 03:00 rule
    result = run(
        RunOptions(
            template=own / "template.yaml",
            handler="app.job.handler",
            code_dir=own,
            days=2,
            report_dir=tmp_path,
            show_progress=False,
            latency="none",
        ),
        backend=harness_backend,
    )

    assert result.report["schedule"] == "cron(0 3 * * ? *)"  # the template's, not the flag's
    assert [f.scheduled_time for f in result.fires] == [
        "2026-01-01T03:00:00Z",
        "2026-01-02T03:00:00Z",
    ]
    (items,) = (v for k, v in result.tables.items() if "Runs" in k)
    assert [i["finished"] for i in items] == [
        "2026-01-01T03:00:30+00:00",  # its 30 s of sleep, in virtual time
        "2026-01-02T03:00:30+00:00",
    ]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_boto3s_retry_jitter_follows_the_seed_not_the_process(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    """botocore jitters its backoff with Python's process-wide `random`: the harness seeds
    it for each invocation (from its seeded request id), so a replay waits the same."""
    throttled = parse_plan(
        {
            "aws": [
                {
                    "match": {"operation": "dynamodb:PutItem", "probability": 0.6},
                    "fault": {"error": "ProvisionedThroughputExceededException"},
                }
            ]
        },
        "test",
    )

    def durations(out: Path) -> list[int]:
        result = _run(
            harness_backend,
            out,
            "writer",
            days=6,
            seed=4,
            executor=executor,
            faults=throttled,
            environment={"RETRY_MODE": "standard"},
        )
        return [a.duration_ms for fire in result.fires for a in fire.attempts]

    first = durations(tmp_path / "first")
    random.seed()  # another process's state, as a replay in a new process has
    assert durations(tmp_path / "second") == first
    assert len(set(first)) > 1  # the throttles did land, at different waits
