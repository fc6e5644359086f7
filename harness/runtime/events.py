"""What AWS hands the function: the scheduled event and a Lambda-like context."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..clock import Clock, iso_z


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so a seed fixes every id of a run."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def scheduled_event(
    *,
    event_id: str,
    trigger_arn: str,
    account: str,
    region: str,
    time: datetime,
    kind: Literal["rule", "scheduler"] = "rule",
) -> dict[str, Any]:
    """The "Scheduled Event" an EventBridge rule sends to its Lambda target, or the
    default payload of an EventBridge Scheduler schedule without `Input` (whose `detail`
    is the string "{}")."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events" if kind == "rule" else "aws.scheduler",
        "account": account,
        "time": iso_z(time),
        "region": region,
        "resources": [trigger_arn],
        "detail": {} if kind == "rule" else "{}",
    }


@dataclass
class LambdaContext:
    """The attributes and method of the Python runtime's context that functions use.

    The remaining time counts down on the virtual clock from the invocation's start.
    """

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    clock: Clock
    deadline: datetime

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock.now()).total_seconds() * 1000))
