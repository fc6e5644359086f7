"""Local emulator and development harness for scheduled AWS Lambda functions."""

from .backend import EmbeddedBackend
from .clock import VirtualClock
from .errors import BadInput
from .events import LambdaContext, scheduled_event
from .executor import FunctionSpec, InProcessExecutor, InvocationResult
from .runner import RunOptions, RunResult, run
from .schedules import Schedule, ScheduleError, ScheduleTrigger
from .stack import Deployed, StackSpec, provision

__all__ = [
    "BadInput",
    "Deployed",
    "EmbeddedBackend",
    "FunctionSpec",
    "InProcessExecutor",
    "InvocationResult",
    "LambdaContext",
    "RunOptions",
    "RunResult",
    "Schedule",
    "ScheduleError",
    "ScheduleTrigger",
    "StackSpec",
    "VirtualClock",
    "provision",
    "run",
    "scheduled_event",
]
