"""AWS's delivery between a schedule and a function, in virtual time: the trigger's retry
policy and dead-letter queue, Lambda's asynchronous retries, throttles and destinations,
at-least-once duplicates, and the accounting that proves no occurrence was lost."""

from .engine import (
    DeadLetter,
    Delivery,
    DeliveryConfig,
    Execution,
    ExecutionResult,
    OccurrenceRecord,
)
from .policy import AsyncInvokeConfig, TriggerRetryPolicy

__all__ = [
    "AsyncInvokeConfig",
    "DeadLetter",
    "Delivery",
    "DeliveryConfig",
    "Execution",
    "ExecutionResult",
    "OccurrenceRecord",
    "TriggerRetryPolicy",
]
