"""The run's own proof that delivery kept AWS's rules: every occurrence accounted for,
no attempt beyond its policy, and the dead-letter queues holding exactly the
occurrences reported as dead-lettered."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from .engine import DeliveryConfig, OccurrenceRecord

SHOWN = 5


@dataclass(frozen=True)
class Invariant:
    name: str
    held: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_delivery(
    records: list[OccurrenceRecord],
    config: DeliveryConfig,
    queued: list[tuple[str, str]],
) -> list[Invariant]:
    """`queued`: (queue ARN, message body) of every message read back from the
    dead-letter queues and destinations after the run."""
    return [
        _all_accounted(records),
        _within_policy(records, config),
        _dead_letters_match(records, queued),
    ]


def _ids(records: list[OccurrenceRecord]) -> str:
    shown = ", ".join(r.scheduled.strftime("%Y-%m-%dT%H:%M:%SZ") for r in records[:SHOWN])
    more = f" +{len(records) - SHOWN}" if len(records) > SHOWN else ""
    return shown + more


def _all_accounted(records: list[OccurrenceRecord]) -> Invariant:
    open_ = [r for r in records if r.outcome is None]
    counts = Counter(r.outcome for r in records if r.outcome)
    summary = ", ".join(f"{counts[k]} {k}" for k in ("succeeded", "failed", "dlq") if counts[k])
    if open_:
        return Invariant("occurrences accounted for", False, f"no outcome: {_ids(open_)}")
    return Invariant(
        "occurrences accounted for", True, f"{len(records)} occurrences: {summary or 'none'}"
    )


def _within_policy(records: list[OccurrenceRecord], config: DeliveryConfig) -> Invariant:
    retry, async_config = config.retry, config.async_config
    breaches: list[OccurrenceRecord] = []
    for record in records:
        trigger = [a for a in record.attempts if a.layer == "trigger"]
        runs = [a for a in record.attempts if a.layer == "lambda" and a.status != "throttled"]
        first = record.handed_at
        late_trigger = first is not None and any(
            (a.at - first).total_seconds() > retry.maximum_event_age_seconds for a in trigger
        )
        accepted = record.accepted_at
        late_lambda = accepted is not None and any(
            (a.at - accepted).total_seconds() > async_config.maximum_event_age_seconds
            for a in record.attempts
            if a.layer == "lambda"
        )
        if (
            len(trigger) > 1 + retry.maximum_retry_attempts
            or len(runs) > 1 + async_config.maximum_retry_attempts
            or record.duplicates > 1
            or late_trigger
            or late_lambda
        ):
            breaches.append(record)
    name = "attempts within policy"
    if breaches:
        return Invariant(name, False, f"beyond policy: {_ids(breaches)}")
    return Invariant(
        name,
        True,
        f"trigger <= {1 + retry.maximum_retry_attempts} hand-offs within"
        f" {retry.maximum_event_age_seconds} s,"
        f" function <= {1 + async_config.maximum_retry_attempts} runs"
        f" within {async_config.maximum_event_age_seconds} s",
    )


def _dead_letters_match(
    records: list[OccurrenceRecord], queued: list[tuple[str, str]]
) -> Invariant:
    expected = Counter(
        (r.dead_letter.queue_arn, r.dead_letter.body)
        for r in records
        if r.outcome == "dlq" and r.dead_letter is not None
    )
    found = Counter(queued)
    name = "dead letters match dlq outcomes"
    if expected != found:
        missing = sum((expected - found).values())
        extra = sum((found - expected).values())
        return Invariant(
            name, False, f"{missing} reported but not queued, {extra} queued but not reported"
        )
    return Invariant(name, True, f"{sum(found.values())} dead letters")
