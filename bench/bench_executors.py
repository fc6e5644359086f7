"""Benchmark for the executors (issue: AWS delivery semantics).

Invokes the same small handler (it reads the clock, the remaining time and the
environment, prints a line and returns) warm, many times, with the in-process executor
and with the subprocess executor, and prints the time per invocation and the ratio:
what a worker process of its own costs per warm invocation. The cold start (starting
the worker and importing the handler) is printed apart.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_executors.py [--invocations 2000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from harness.clock import VirtualClock
from harness.runtime import function_runtime
from harness.runtime.base import FunctionSpec
from harness.runtime.inprocess import InProcessExecutor
from harness.runtime.worker_process import SubprocessExecutor

SPEC = FunctionSpec(
    name="bench",
    arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
    handler="tests.fixture_handlers.handler",
    timeout_seconds=60,
    memory_mb=128,
    environment={"AWS_REGION": "us-east-1"},
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invocations", type=int, default=2000)
    args = parser.parse_args()
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    timings: dict[str, float] = {}
    with (
        function_runtime(clock),
        InProcessExecutor(SPEC, clock=clock, runtime_environment={}) as inprocess,
    ):
        inprocess.invoke({}, "warm-up")
        started = time.perf_counter()
        for n in range(args.invocations):
            inprocess.invoke({}, f"r-{n}")
        timings["inprocess"] = (time.perf_counter() - started) / args.invocations
    cold_started = time.perf_counter()
    with SubprocessExecutor(SPEC, clock=clock, runtime_environment={}) as worker:
        first = worker.invoke({}, "warm-up")
        cold = time.perf_counter() - cold_started
        started = time.perf_counter()
        for n in range(args.invocations):
            worker.invoke({}, f"r-{n}")
        timings["subprocess"] = (time.perf_counter() - started) / args.invocations
    ratio = timings["subprocess"] / timings["inprocess"]
    print(f"warm invocations of a small handler, {args.invocations} each")
    print(f"  in-process  {timings['inprocess'] * 1e6:8.0f} us an invocation")
    print(f"  subprocess  {timings['subprocess'] * 1e6:8.0f} us an invocation")
    print(f"  ratio       {ratio:8.1f}x (the worker's pipe round trips, clock calls included)")
    print(f"  subprocess cold start: {cold * 1000:.0f} ms (handler import {first.init_ms:.0f} ms)")


if __name__ == "__main__":
    main()
