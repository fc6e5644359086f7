"""Local emulator and development harness for scheduled AWS Lambda functions."""

from .backend import EmbeddedBackend
from .clock import VirtualClock
from .errors import BadInput
from .events import LambdaContext, scheduled_event
from .executor import FunctionSpec, InProcessExecutor, InvocationResult
from .runner import RunOptions, RunResult, run
from .schedules import fire_times, parse_schedule
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
    "StackSpec",
    "VirtualClock",
    "fire_times",
    "parse_schedule",
    "provision",
    "run",
    "scheduled_event",
]
