"""The report's record of each occurrence: its fire, its attempts, and the totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..clock import iso_z
from ..delivery import OccurrenceRecord

Outcome = Literal["succeeded", "failed", "dlq"]


@dataclass
class Attempt:
    at: str
    status: str
    duration_ms: int
    error: str | None
    request_id: str
    wall_ms: float
    layer: str = "lambda"  # trigger (hand-off to Lambda), lambda, or duplicate
    reason: str = "first delivery"  # why this attempt happened
    cold: bool = False  # ran in a fresh execution environment (a cold start)
    init_ms: float = 0.0  # a cold start's Init Duration (virtual)
    suppressed_init: bool = False  # init re-ran inside this run, after a timeout


@dataclass
class Fire:
    scheduled_time: str
    event_id: str
    outcome: Outcome
    attempts: list[Attempt] = field(default_factory=list)
    sync_id: str | None = None
    records_processed: int = 0
    # What the function reported: success, partial (some records invalid, cursor
    # kept), skipped (the occurrence was already synced) or failed.
    sync_status: str = "failed"
    dead_letter: dict[str, str] | None = None  # queue, layer, condition
    duplicates: int = 0
    throttles: int = 0
    table_items: int | None = None  # the records table's size when the occurrence ended
    table_active: int | None = None  # of those, active (sampled: about 100 in a run)


def totals(fires: list[Fire]) -> dict[str, int]:
    attempts = [a for f in fires for a in f.attempts]
    return {
        "fires": len(fires),
        "succeeded": sum(f.outcome == "succeeded" for f in fires),
        "failed": sum(f.outcome == "failed" for f in fires),
        "dlq": sum(f.outcome == "dlq" for f in fires),
        "partial": sum(f.sync_status == "partial" for f in fires),
        "attempts": len(attempts),
        "trigger_errors": sum(a.layer == "trigger" for a in attempts),
        "throttles": sum(a.status == "throttled" for a in attempts),
        "duplicates": sum(a.layer == "duplicate" for a in attempts),
        "cold_starts": sum(a.cold for a in attempts),
        "function_errors": sum(a.status == "function_error" for a in attempts),
        "timeouts": sum(a.status == "timeout" for a in attempts),
        "records_processed": sum(f.records_processed for f in fires),
    }


def fire_of(record: OccurrenceRecord) -> Fire:
    """An occurrence as the delivery engine recorded it, as report.json shows it."""
    attempts = [
        Attempt(
            at=iso_z(a.at),
            status=a.status,
            duration_ms=int(a.duration_seconds * 1000),
            error=a.error,
            request_id=a.request_id or "",
            wall_ms=round(a.result.detail.wall_ms, 2) if a.result is not None else 0.0,
            layer=a.layer,
            reason=a.reason,
            cold=bool(a.result.detail.cold) if a.result is not None else False,
            init_ms=round(float(getattr(detail, "init_ms", 0.0)), 2),
            suppressed_init=bool(getattr(detail, "suppressed_init", False)),
        )
        for a in record.attempts
        for detail in [a.result.detail if a.result is not None else None]
    ]
    succeeded = next(
        (a.result for a in record.attempts if a.layer == "lambda" and a.status == "succeeded"),
        None,
    )
    body = (
        succeeded.payload.get("body") if succeeded and isinstance(succeeded.payload, dict) else None
    )
    body = body if isinstance(body, dict) else {}
    letter = record.dead_letter
    return Fire(
        scheduled_time=iso_z(record.scheduled),
        event_id=record.event_id,
        outcome=record.outcome or "failed",
        attempts=attempts,
        sync_id=body.get("syncId") if succeeded else None,
        records_processed=int(body.get("recordsProcessed", 0)) if succeeded else 0,
        sync_status=str(body.get("status", "success")) if succeeded else "failed",
        dead_letter=(
            {"queue": letter.queue_arn, "layer": letter.layer, "condition": letter.condition}
            if letter
            else None
        ),
        duplicates=record.duplicates,
        throttles=record.throttles,
    )
