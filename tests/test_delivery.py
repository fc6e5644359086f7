"""Delivery semantics in virtual time, with a scripted function instead of a real one."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.delivery import (
    AsyncInvokeConfig,
    Delivery,
    DeliveryConfig,
    Execution,
    ExecutionResult,
    OccurrenceRecord,
    TriggerRetryPolicy,
)
from harness.delivery.accounting import check_delivery
from harness.errors import BadInput

T0 = datetime(2026, 3, 1, 2, tzinfo=UTC)
RULE = "arn:aws:events:us-east-1:123456789012:rule/nightly"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:sync"
TRIGGER_DLQ = "arn:aws:sqs:us-east-1:123456789012:trigger-dlq"
FAILURES = "arn:aws:sqs:us-east-1:123456789012:failures"
CONFIG = DeliveryConfig(
    trigger_arn=RULE,
    target_arn=FUNCTION,
    trigger_dead_letter=TRIGGER_DLQ,
    async_config=AsyncInvokeConfig(on_failure=FAILURES),
)

Script = Callable[[Execution], tuple[str, float]]


def deliver(
    config: DeliveryConfig,
    script: Script,
    occurrences: list[datetime] | None = None,
    seed: int = 1,
) -> tuple[list[OccurrenceRecord], Delivery]:
    ids = random.Random(seed)

    def invoke(execution: Execution, payload: dict[str, Any]) -> ExecutionResult:
        assert payload["id"] == execution.event_id
        status, seconds = script(execution)
        return ExecutionResult(status, seconds, None if status == "succeeded" else f"{status}!")  # type: ignore[arg-type]

    delivery = Delivery(
        config,
        invoke=invoke,
        payload_for=lambda record, _number, _execution: {
            "id": record.event_id,
            "time": record.scheduled.isoformat(),
        },
        new_id=lambda: f"id-{ids.getrandbits(32):08x}",
        rng=random.Random(seed),
    )
    records = delivery.run(occurrences or [T0])
    return records, delivery


def always(status: str, seconds: float = 10) -> Script:
    return lambda _: (status, seconds)


def held(records: list[OccurrenceRecord], delivery: Delivery) -> bool:
    queued = [(d.queue_arn, d.body) for d in delivery.dead_letters]
    return all(i.held for i in check_delivery(records, delivery.config, queued))


def test_a_successful_run_is_one_attempt() -> None:
    [record], delivery = deliver(CONFIG, always("succeeded"))

    assert record.outcome == "succeeded"
    assert [(a.layer, a.status, a.reason) for a in record.attempts] == [
        ("lambda", "succeeded", "first delivery")
    ]
    assert held([record], delivery)


def test_function_errors_are_retried_one_then_two_minutes_after_the_failed_run() -> None:
    [record], delivery = deliver(CONFIG, always("function_error", seconds=30))

    starts = [a.at for a in record.attempts]
    assert starts == [
        T0,
        T0 + timedelta(seconds=30 + 60),
        T0 + timedelta(seconds=30 + 60 + 30 + 120),
    ]
    assert record.outcome == "dlq"
    letter = record.dead_letter
    assert letter is not None and letter.queue_arn == FAILURES
    body = json.loads(letter.body)
    assert body["requestContext"]["condition"] == "RetriesExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    assert body["requestContext"]["functionArn"] == f"{FUNCTION}:$LATEST"
    assert body["requestPayload"]["id"] == record.event_id
    assert body["responseContext"]["functionError"] == "Unhandled"
    assert held([record], delivery)


def test_a_retry_that_succeeds_ends_the_occurrence() -> None:
    [record], _ = deliver(CONFIG, lambda e: ("timeout" if e.number == 1 else "succeeded", 300))

    assert [a.status for a in record.attempts] == ["timeout", "succeeded"]
    assert record.outcome == "succeeded"


def test_zero_retries_and_no_destination_drops_the_event() -> None:
    config = replace(CONFIG, async_config=AsyncInvokeConfig(maximum_retry_attempts=0))

    [record], delivery = deliver(config, always("function_error"))

    assert len(record.attempts) == 1
    assert record.outcome == "failed"
    assert delivery.dead_letters == []


def test_a_retry_past_the_maximum_event_age_is_not_made() -> None:
    config = replace(
        CONFIG,
        async_config=AsyncInvokeConfig(maximum_event_age_seconds=100, on_failure=FAILURES),
    )

    [record], _ = deliver(config, always("function_error", seconds=30))

    # The first retry comes 90 s after Lambda took the event; the second would at 240 s.
    assert [(a.at - T0).total_seconds() for a in record.attempts] == [0, 90]
    assert record.dead_letter is not None
    assert record.dead_letter.condition == "EventAgeExceeded"


def test_the_functions_own_dead_letter_queue_gets_the_event_with_its_attributes() -> None:
    config = replace(CONFIG, async_config=AsyncInvokeConfig(dead_letter_queue=FAILURES))

    [record], _ = deliver(config, always("function_error"))

    letter = record.dead_letter
    assert letter is not None
    assert json.loads(letter.body)["id"] == record.event_id
    assert set(letter.attributes) == {"RequestID", "ErrorCode", "ErrorMessage"}
    assert letter.attributes["RequestID"] == record.attempts[-1].request_id


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"function_exists": False}, "ResourceNotFoundException"),
        ({"permitted": False}, "AccessDeniedException"),
    ],
)
def test_a_missing_function_or_permission_goes_straight_to_the_targets_dlq(
    change: dict[str, bool], code: str
) -> None:
    [record], delivery = deliver(replace(CONFIG, **change), always("succeeded"))

    assert [(a.layer, a.status) for a in record.attempts] == [("trigger", code)]
    letter = record.dead_letter
    assert letter is not None and letter.queue_arn == TRIGGER_DLQ
    assert letter.attributes == {
        "ERROR_CODE": code,
        "ERROR_MESSAGE": record.attempts[0].error,
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": "0",
        "RULE_ARN": RULE,
        "TARGET_ARN": FUNCTION,
    }
    assert held([record], delivery)


def test_hand_off_errors_are_retried_with_growing_jittered_waits() -> None:
    config = replace(
        CONFIG, handoff_error_rate=1.0, retry=TriggerRetryPolicy(maximum_retry_attempts=4)
    )

    [record], _ = deliver(config, always("succeeded"))

    starts = [a.at for a in record.attempts]
    waits = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert len(starts) == 5
    for n, wait in enumerate(waits, start=1):
        assert 2 ** (n - 1) / 2 <= wait <= 2 ** (n - 1)
    assert record.dead_letter is not None
    assert record.dead_letter.attributes["RETRY_ATTEMPTS"] == "4"


def test_the_trigger_stops_retrying_when_the_event_is_too_old() -> None:
    config = replace(
        CONFIG,
        handoff_error_rate=1.0,
        retry=TriggerRetryPolicy(maximum_retry_attempts=185, maximum_event_age_seconds=60),
    )

    [record], _ = deliver(config, always("succeeded"))

    assert record.dead_letter is not None
    assert record.dead_letter.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert all((a.at - T0).total_seconds() <= 60 for a in record.attempts)


def test_reserved_concurrency_throttles_overlapping_runs_which_lambda_retries() -> None:
    config = replace(CONFIG, reserved_concurrency=1)
    minutes = [T0 + timedelta(minutes=m) for m in range(3)]

    records, delivery = deliver(config, always("succeeded", seconds=150), minutes)

    runs = sorted(
        (a.at, a.at + timedelta(seconds=a.duration_seconds))
        for r in records
        for a in r.attempts
        if a.status == "succeeded"
    )
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(runs))
    assert records[1].throttles > 0
    assert all(r.outcome == "succeeded" for r in records)
    assert held(records, delivery)


def test_throttles_back_off_exponentially_until_the_event_is_too_old() -> None:
    config = replace(
        CONFIG,
        reserved_concurrency=1,
        async_config=AsyncInvokeConfig(maximum_event_age_seconds=600, on_failure=FAILURES),
    )
    two = [T0, T0 + timedelta(seconds=1)]

    records, _ = deliver(config, always("succeeded", seconds=3600), two)

    throttled = [a.at for a in records[1].attempts if a.status == "throttled"]
    offsets = [(t - two[1]).total_seconds() for t in throttled]
    # 1, 2, 4 ... 256 s apart, then a last try when the event reaches 600 s.
    assert offsets == [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 600]
    assert records[1].dead_letter is not None
    assert records[1].dead_letter.condition == "EventAgeExceeded"


def test_a_throttled_duplicate_is_retried_like_any_delivery() -> None:
    config = replace(CONFIG, reserved_concurrency=1, duplicate_rate=1.0)

    [record], _ = deliver(config, always("succeeded", seconds=30))

    duplicate = [a.status for a in record.attempts if a.layer == "duplicate"]
    assert duplicate[0] == "throttled"
    assert duplicate[-1] == "succeeded"
    assert record.duplicates == 1


def test_the_trigger_counts_event_age_from_its_first_hand_off_not_the_window_start() -> None:
    config = replace(
        CONFIG,
        kind="scheduler",
        flexible_window_minutes=15,
        handoff_error_rate=1.0,
        retry=TriggerRetryPolicy(maximum_retry_attempts=3, maximum_event_age_seconds=60),
    )

    records, _ = deliver(config, always("succeeded"), [T0 + timedelta(hours=h) for h in range(8)])

    assert all(r.trigger_attempts == 4 for r in records)  # 0.5-1, 1-2, 2-4 s: all within 60 s


def test_a_run_that_waits_lets_runs_due_meanwhile_go_first() -> None:
    order: list[str] = []
    delivery_box: list[Delivery] = []

    def script(execution: Execution) -> tuple[str, float]:
        order.append(f"start {execution.occurrence}")
        if execution.occurrence == 0:
            # The function sleeps 150 s: what is due before it wakes runs meanwhile.
            delivery_box[0].advance_until(execution.at + timedelta(seconds=150))
        order.append(f"end {execution.occurrence}")
        return ("succeeded", 150.0 if execution.occurrence == 0 else 10.0)

    ids = random.Random(1)
    delivery = Delivery(
        replace(CONFIG, reserved_concurrency=1),
        invoke=lambda execution, _payload: ExecutionResult(*script(execution)),  # type: ignore[arg-type]
        payload_for=lambda record, _n, _e: {"id": record.event_id},
        new_id=lambda: f"id-{ids.getrandbits(32):08x}",
        rng=random.Random(1),
    )
    delivery_box.append(delivery)
    records = delivery.run([T0, T0 + timedelta(seconds=60)])

    # The second occurrence came due while the first waited, found the only slot taken
    # (the first is still running) and was throttled until after the first ended.
    assert order == ["start 0", "end 0", "start 1", "end 1"]
    assert records[1].attempts[0].status == "throttled"
    assert records[1].throttles == 7  # at 60, 61, 63, 67, 75, 91 and 123 s: the first ends at 150
    first_run = next(a for a in records[1].attempts if a.status == "succeeded")
    assert first_run.at >= T0 + timedelta(seconds=150)


def test_reserved_concurrency_zero_sends_every_event_to_the_destination_unrun() -> None:
    records, delivery = deliver(replace(CONFIG, reserved_concurrency=0), always("succeeded"))

    assert records[0].outcome == "dlq"
    assert [a.status for a in records[0].attempts] == ["throttled"]
    assert held(records, delivery)


def test_duplicates_run_the_same_event_again_and_leave_the_outcome_alone() -> None:
    seen: list[tuple[str, str]] = []

    def script(execution: Execution) -> tuple[str, float]:
        seen.append((execution.layer, execution.event_id))
        return ("succeeded", 5)

    records, _ = deliver(replace(CONFIG, duplicate_rate=1.0), script, [T0, T0 + timedelta(hours=1)])

    assert [layer for layer, _ in seen].count("duplicate") == 2
    for record in records:
        ids = {event_id for _, event_id in seen if event_id == record.event_id}
        assert ids == {record.event_id}
        assert record.duplicates == 1
        assert record.outcome == "succeeded"


def test_a_flexible_window_delays_each_hand_off_inside_the_window_seeded() -> None:
    config = replace(CONFIG, kind="scheduler", flexible_window_minutes=15)
    hours = [T0 + timedelta(hours=h) for h in range(20)]

    first, _ = deliver(config, always("succeeded"), hours, seed=3)
    again, _ = deliver(config, always("succeeded"), hours, seed=3)

    delays = [(r.attempts[0].at - r.scheduled).total_seconds() for r in first]
    assert all(0 <= d < 15 * 60 for d in delays)
    assert len(set(delays)) > 1
    assert delays == [(r.attempts[0].at - r.scheduled).total_seconds() for r in again]


def test_retry_values_outside_aws_ranges_are_refused_in_aws_words() -> None:
    with pytest.raises(BadInput, match="Member must have value less than or equal to 185"):
        TriggerRetryPolicy(maximum_retry_attempts=186)
    with pytest.raises(BadInput, match="greater than or equal to 60"):
        AsyncInvokeConfig(maximum_event_age_seconds=59)


@settings(max_examples=120, deadline=None)
@given(
    data=st.data(),
    retry_attempts=st.integers(0, 6),
    age=st.integers(60, 3600),
    async_retries=st.integers(0, 2),
    async_age=st.integers(60, 21_600),
    concurrency=st.sampled_from([None, 0, 1, 2]),
    duplicate_rate=st.sampled_from([0.0, 0.3, 1.0]),
    handoff_error_rate=st.sampled_from([0.0, 0.2, 0.9]),
    destinations=st.sampled_from(["both", "trigger", "lambda", "none"]),
    spacing=st.sampled_from([60, 600, 3600]),
    reachable=st.sampled_from(["yes", "no function", "no permission"]),
    window=st.sampled_from([0, 15]),
)
def test_any_failure_pattern_keeps_the_invariants(
    data: st.DataObject,
    retry_attempts: int,
    age: int,
    async_retries: int,
    async_age: int,
    concurrency: int | None,
    duplicate_rate: float,
    handoff_error_rate: float,
    destinations: str,
    spacing: int,
    reachable: str,
    window: int,
) -> None:
    config = DeliveryConfig(
        kind="scheduler" if window else "rule",
        flexible_window_minutes=window,
        function_exists=reachable != "no function",
        permitted=reachable != "no permission",
        trigger_arn=RULE,
        target_arn=FUNCTION,
        retry=TriggerRetryPolicy(retry_attempts, age),
        trigger_dead_letter=TRIGGER_DLQ if destinations in ("both", "trigger") else None,
        async_config=AsyncInvokeConfig(
            async_retries, async_age, FAILURES if destinations in ("both", "lambda") else None
        ),
        reserved_concurrency=concurrency,
        duplicate_rate=duplicate_rate,
        handoff_error_rate=handoff_error_rate,
    )
    outcomes = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["succeeded", "function_error", "timeout"]), st.integers(0, 900)
            ),
            min_size=1,
            max_size=40,
        )
    )
    calls = iter(outcomes * 1000)
    occurrences = [
        T0 + timedelta(seconds=spacing * i) for i in range(data.draw(st.integers(1, 12)))
    ]
    running: list[tuple[datetime, datetime]] = []

    def script(execution: Execution) -> tuple[str, float]:
        status, seconds = next(calls)
        running.append((execution.at, execution.at + timedelta(seconds=seconds)))
        return status, float(seconds)

    records, delivery = deliver(config, script, occurrences)

    for invariant in check_delivery(
        records, config, [(d.queue_arn, d.body) for d in delivery.dead_letters]
    ):
        assert invariant.held, invariant
    assert all(r.outcome in ("succeeded", "failed", "dlq") for r in records)
    if concurrency is not None:
        for start, _ in running:
            overlapping = sum(1 for s, e in running if s <= start < e)
            assert overlapping <= concurrency
