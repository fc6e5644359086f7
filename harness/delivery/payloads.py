"""What the trigger hands to Lambda for an occurrence: the rule's Scheduled Event,
Scheduler's default envelope, or Scheduler's `Input` with its context attributes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..events import iso_z, scheduled_event
from .engine import DeliveryConfig

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
