"""What goes into an invocation and what comes out: the trigger's payload for an
occurrence (the rule's Scheduled Event, Scheduler's default envelope, or Scheduler's
`Input` with its context attributes), and an executor's result as the engine records it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..clock import iso_z
from ..errors import BadInput
from ..runtime.base import InvocationResult
from ..runtime.events import scheduled_event
from .deployed import DeployedDelivery
from .engine import DeliveryConfig, ExecutionResult, OccurrenceRecord, PayloadFor

CONTEXT_ATTRIBUTES = (
    "<aws.scheduler.schedule-arn>",
    "<aws.scheduler.scheduled-time>",
    "<aws.scheduler.execution-id>",
    "<aws.scheduler.attempt-number>",
)


def event_payload(
    config: DeliveryConfig,
    *,
    event_id: str,
    scheduled: datetime,
    account: str,
    region: str,
    scheduler_input: str | None,
    execution_id: str,
    attempt: int,
) -> Any:
    if config.kind == "scheduler" and scheduler_input is not None:
        return substitute_input(
            scheduler_input,
            schedule_arn=config.trigger_arn,
            scheduled=scheduled,
            execution_id=execution_id,
            attempt=attempt,
        )
    return scheduled_event(
        event_id=event_id,
        trigger_arn=config.trigger_arn,
        account=account,
        region=region,
        time=scheduled,
        kind=config.kind,
    )


def substitute_input(
    text: str, *, schedule_arn: str, scheduled: datetime, execution_id: str, attempt: int
) -> Any:
    """Scheduler replaces each keyword as plain text; Lambda gets the JSON verbatim."""
    for keyword, value in zip(
        CONTEXT_ATTRIBUTES,
        (schedule_arn, iso_z(scheduled), execution_id, str(attempt)),
        strict=True,
    ):
        text = text.replace(keyword, value)
    return json.loads(text)


def payload_source(
    config: DeliveryConfig, setup: DeployedDelivery, account: str, region: str
) -> PayloadFor:
    """What the deployed trigger hands Lambda for an occurrence's hand-off."""

    def payload_for(record: OccurrenceRecord, handoff: int, execution_id: str) -> Any:
        return event_payload(
            config,
            event_id=record.event_id,
            scheduled=record.scheduled,
            account=account,
            region=region,
            scheduler_input=setup.scheduler_input,
            execution_id=execution_id,
            attempt=handoff,
        )

    return payload_for


def execution_result(result: InvocationResult) -> ExecutionResult:
    """An executor's invocation as the delivery engine records it."""
    return ExecutionResult(
        status=result.status,
        duration_seconds=result.duration_ms / 1000,
        error=result.error,
        payload=result.response,
        detail=result,
    )


def check_scheduler_input(text: str) -> None:
    """A templated Lambda target's Input must be well-formed JSON once substituted."""
    try:
        substitute_input(
            text,
            schedule_arn="arn:aws:scheduler:us-east-1:123456789012:schedule/default/x",
            scheduled=datetime(2026, 1, 1, tzinfo=UTC),
            execution_id="check",
            attempt=1,
        )
    except ValueError as exc:
        raise BadInput(f"--input is not well-formed JSON: {exc}") from None
