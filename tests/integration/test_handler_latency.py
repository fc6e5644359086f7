"""Work takes virtual time: a user's handler's AWS calls, HTTP requests, cold start and
own work are charged by the latency model, the same under both executors, and a charge
that crosses the timeout ends the invocation there; after a timeout, the next
invocation re-runs init inside its own Duration (Lambda's suppressed init)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.aws import EmbeddedBackend
from harness.runner import RunOptions, RunResult, run

HANDLERS = Path(__file__).resolve().parents[1] / "data" / "handlers"
EXECUTORS = ["inprocess", "subprocess"]


def _run(backend: EmbeddedBackend, tmp_path: Path, handler: str, **options: Any) -> RunResult:
    return run(
        RunOptions(
            handler=f"timely.{handler}",
            code_dir=HANDLERS,
            report_dir=tmp_path / "run",
            show_progress=False,
            schedule="rate(1 hour)",
            **options,
        ),
        backend=backend,
    )


def _logs(result: RunResult) -> list[dict[str, Any]]:
    lines = (result.report_path.parent / "logs.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _profile(tmp_path: Path, text: str) -> str:
    path = tmp_path / "latency.yaml"
    path.write_text(text)
    return str(path)


def _spans(result: RunResult) -> list[dict[str, Any]]:
    return [r["spans"] for r in _logs(result) if "spans" in r]


def test_calls_cost_the_default_profiles_draws_the_same_under_both_executors(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    runs = {
        executor: _run(
            harness_backend, tmp_path / executor, "calls.caller", days=0.25, executor=executor
        )
        for executor in EXECUTORS
    }
    inprocess, subprocess = runs["inprocess"], runs["subprocess"]

    assert _spans(inprocess) == _spans(subprocess)
    durations = [a.duration_ms for f in inprocess.fires for a in f.attempts]
    assert durations == [a.duration_ms for f in subprocess.fires for a in f.attempts]
    for spans, duration in zip(_spans(inprocess), durations, strict=True):
        assert all(1 <= put <= 200 for put in spans["put"])  # DynamoDB: 6 ms p50, 25 p99
        assert 20 <= spans["urllib"] <= 3000 and 20 <= spans["httpx"] <= 3000  # 120 / 600
        assert duration >= sum(spans["put"]) + spans["get"] + spans["urllib"] + spans["httpx"]
    first = next(r for r in _logs(inprocess) if str(r.get("message", "")).startswith("REPORT"))
    assert "Init Duration: " in first["message"]
    assert inprocess.report["latency"] == "default"


def test_with_latency_none_calls_take_no_virtual_time(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    result = _run(harness_backend, tmp_path, "calls.caller", days=0.1, latency="none")

    for spans in _spans(result):
        assert spans == {"put": [0, 0, 0], "get": 0, "urllib": 0, "httpx": 0}
    assert {a.duration_ms for f in result.fires for a in f.attempts} == {0}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_charge_that_crosses_the_timeout_ends_the_invocation_at_it(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    slow_puts = _profile(tmp_path, "aws: {'DynamoDB:PutItem': {p50_ms: 400, p99_ms: 400}}\n")
    result = _run(
        harness_backend,
        tmp_path,
        "calls.caller",
        days=0.05,
        latency=slow_puts,
        function_timeout=1,
        async_retry_attempts=0,
        executor=executor,
    )

    attempt = result.fires[0].attempts[0]
    assert attempt.status == "timeout"
    assert attempt.duration_ms == 1000
    assert "Task timed out after 1.00 seconds" in (attempt.error or "")
    assert not _spans(result)  # stopped inside the third PutItem, before printing


@pytest.mark.parametrize("executor", EXECUTORS)
def test_after_a_timeout_the_next_invocation_re_runs_init_inside_its_duration(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    slow_init = _profile(tmp_path, "init: {p50_ms: 500, p99_ms: 500}\n")
    result = _run(
        harness_backend,
        tmp_path,
        "calls.stumbles_once",
        days=0.15,  # 01:00, 02:00 and 03:00
        latency=slow_init,
        function_timeout=2,
        async_retry_attempts=0,
        executor=executor,
    )

    reports = [
        r["message"] for r in _logs(result) if str(r.get("message", "")).startswith("REPORT")
    ]
    assert len(reports) == 3
    timed_out, suppressed, warm = reports
    assert "Init Duration: 500.00 ms" in timed_out and "Status: timeout" in timed_out
    assert "Duration: 2000.00 ms" in timed_out
    assert "Init Duration" not in suppressed and "\tDuration: 500.00 ms" in suppressed
    assert "Init Duration" not in warm and "\tDuration: 0.00 ms" in warm
    assert [a.status for f in result.fires for a in f.attempts] == [
        "timeout",
        "succeeded",
        "succeeded",
    ]
