"""Benchmark for the delivery layer (issue: AWS delivery semantics).

Delivers `rate(1 minute)` over 30 virtual days (43,199 occurrences: the first comes a
minute after creation) through the delivery engine to a no-op handler run by the
in-process executor (event built, clock moved, stdout captured, result timed), and
prints occurrences per second (target: at least 10,000). Further passes, with a canned
result instead of the executor, show the engine alone and what retries (every run
fails: three runs and a dead letter each), duplicates and throttles (half the events
delivered twice to 20 s runs with reserved concurrency 1) cost.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_delivery.py
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.clock import VirtualClock
from harness.delivery import (
    AsyncInvokeConfig,
    Delivery,
    DeliveryConfig,
    Execution,
    ExecutionResult,
    OccurrenceRecord,
)
from harness.delivery.accounting import check_delivery
from harness.runtime.base import FunctionSpec
from harness.runtime.events import scheduled_event, seeded_uuid
from harness.runtime.inprocess import InProcessExecutor
from harness.schedules import Schedule

START = datetime(2026, 1, 1, tzinfo=UTC)
RULE = "arn:aws:events:us-east-1:123456789012:rule/every-minute"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:noop"
CONFIG = DeliveryConfig(
    trigger_arn=RULE,
    target_arn=FUNCTION,
    trigger_dead_letter="arn:aws:sqs:us-east-1:123456789012:dlq",
    async_config=AsyncInvokeConfig(on_failure="arn:aws:sqs:us-east-1:123456789012:failures"),
)


def deliver(config: DeliveryConfig, result: ExecutionResult | None) -> tuple[int, int, float, bool]:
    """`result` None: run the no-op handler through the in-process executor."""
    schedule = Schedule.parse("rate(1 minute)", created=START)
    occurrences = list(schedule.fires(START, START + timedelta(days=30)))
    rng = random.Random(1)
    clock = VirtualClock(START)
    spec = FunctionSpec(
        name="noop",
        arn=FUNCTION,
        handler="tests.fixture_handlers.noop",
        timeout_seconds=60,
        memory_mb=128,
        environment={},
    )

    def payload_for(record: OccurrenceRecord, handoff: int, execution_id: str) -> dict[str, Any]:
        return scheduled_event(
            event_id=record.event_id,
            trigger_arn=RULE,
            account="123456789012",
            region="us-east-1",
            time=record.scheduled,
        )

    with InProcessExecutor(spec, clock=clock, runtime_environment={}) as executor:

        def invoke(execution: Execution, payload: Any) -> ExecutionResult:
            if result is not None:
                return result
            clock.move_to(execution.at)
            ran = executor.invoke(payload, execution.request_id)
            return ExecutionResult(ran.status, ran.duration_ms / 1000, ran.error, ran.response)

        started = time.perf_counter()
        delivery = Delivery(
            config,
            invoke=invoke,
            payload_for=payload_for,
            new_id=lambda: seeded_uuid(rng),
            rng=random.Random(2),
        )
        records = delivery.run(occurrences)
        seconds = time.perf_counter() - started
    queued = [(d.queue_arn, d.body) for d in delivery.dead_letters]
    held = all(i.held for i in check_delivery(records, config, queued))
    attempts = sum(len(r.attempts) for r in records)
    return len(records), attempts, seconds, held


def main() -> None:
    print("delivery layer, rate(1 minute) over 30 virtual days, no-op function, in process")
    cases: list[tuple[str, DeliveryConfig, ExecutionResult | None]] = [
        ("no-op handler, in-process executor", CONFIG, None),
        ("engine alone, every run succeeds", CONFIG, ExecutionResult("succeeded", 0.05)),
        (
            "engine alone, every run fails (3 runs + dead letter)",
            CONFIG,
            ExecutionResult("function_error", 0.05, "boom"),
        ),
        (
            "engine alone, duplicates throttled",
            replace(CONFIG, reserved_concurrency=1, duplicate_rate=0.5),
            ExecutionResult("succeeded", 20.0),
        ),
    ]
    for label, config, result in cases:
        count, attempts, seconds, held = deliver(config, result)
        print(
            f"  {label:<50} {count:,} occurrences, {attempts:,} attempts in {seconds:.2f} s:"
            f" {count / seconds:,.0f} occurrences/s, invariants {'held' if held else 'BROKEN'}"
        )
    print("  (target: at least 10,000 occurrences/s with the no-op handler)")


if __name__ == "__main__":
    main()
