"""Benchmark for the delivery layer (issue: AWS delivery semantics).

Delivers `rate(1 minute)` over 30 virtual days (43,200 occurrences) through the
delivery engine with a no-op function, in process, and prints occurrences per second
(target: at least 10,000). A second pass has every run fail, so each occurrence takes
three runs and a dead letter, and a third delivers half the events twice to a function
with reserved concurrency 1, so duplicates overlap and are throttled: what retries,
duplicates and throttles cost.

Usage: .venv/bin/python bench/bench_delivery.py
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.delivery import (
    AsyncInvokeConfig,
    Delivery,
    DeliveryConfig,
    Execution,
    ExecutionResult,
    OccurrenceRecord,
)
from harness.delivery.accounting import check_delivery
from harness.events import scheduled_event, seeded_uuid
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


def deliver(config: DeliveryConfig, result: ExecutionResult) -> tuple[int, int, float, bool]:
    schedule = Schedule.parse("rate(1 minute)", created=START)
    occurrences = list(schedule.fires(START, START + timedelta(days=30)))
    rng = random.Random(1)

    def invoke(execution: Execution, payload: dict[str, Any]) -> ExecutionResult:
        return result

    def payload_for(record: OccurrenceRecord, handoff: int) -> dict[str, Any]:
        return scheduled_event(
            event_id=record.event_id,
            trigger_arn=RULE,
            account="123456789012",
            region="us-east-1",
            time=record.scheduled,
        )

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
    cases = [
        ("every run succeeds", CONFIG, ExecutionResult("succeeded", 0.05)),
        (
            "every run fails (3 runs + dead letter)",
            CONFIG,
            ExecutionResult("function_error", 0.05, "boom"),
        ),
        (
            "half delivered twice, 45 s runs, concurrency 1",
            replace(CONFIG, reserved_concurrency=1, duplicate_rate=0.5),
            ExecutionResult("succeeded", 45.0),
        ),
    ]
    for label, config, result in cases:
        count, attempts, seconds, held = deliver(config, result)
        print(
            f"  {label:<50} {count:,} occurrences, {attempts:,} attempts in {seconds:.2f} s:"
            f" {count / seconds:,.0f} occurrences/s, invariants {'held' if held else 'BROKEN'}"
        )
    print("  (target: at least 10,000 occurrences/s when every run succeeds)")


if __name__ == "__main__":
    main()
