"""Local emulator and development harness for scheduled AWS Lambda functions.

The public names load on first use: the pytest plugin imports this package in every
test session of an environment that has the harness installed, and should cost nothing
there until a fixture is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .aws.embedded import EmbeddedBackend
    from .aws.fault_proxy import AwsFaultProxy
    from .clock import VirtualClock
    from .deploy.provision import Deployed, StackSpec, provision
    from .errors import BadInput
    from .runner import RunOptions, RunResult, run
    from .runtime.base import FunctionSpec, InvocationResult
    from .runtime.events import LambdaContext, scheduled_event
    from .runtime.inprocess import InProcessExecutor
    from .schedules import Schedule, ScheduleError, ScheduleTrigger
    from .testing import FaultRules, ScenarioRunner, ScheduledFunction, ScheduleReport

_WHERE = {
    "AwsFaultProxy": "aws",
    "BadInput": "errors",
    "Deployed": "deploy",
    "EmbeddedBackend": "aws",
    "FaultRules": "testing",
    "FunctionSpec": "runtime",
    "InProcessExecutor": "runtime",
    "InvocationResult": "runtime",
    "LambdaContext": "runtime",
    "RunOptions": "runner",
    "RunResult": "runner",
    "ScenarioRunner": "testing",
    "Schedule": "schedules",
    "ScheduleError": "schedules",
    "ScheduleReport": "testing",
    "ScheduleTrigger": "schedules",
    "ScheduledFunction": "testing",
    "StackSpec": "deploy",
    "VirtualClock": "clock",
    "provision": "deploy",
    "run": "runner",
    "scheduled_event": "runtime",
}
__all__ = [
    "AwsFaultProxy",
    "BadInput",
    "Deployed",
    "EmbeddedBackend",
    "FaultRules",
    "FunctionSpec",
    "InProcessExecutor",
    "InvocationResult",
    "LambdaContext",
    "RunOptions",
    "RunResult",
    "ScenarioRunner",
    "Schedule",
    "ScheduleError",
    "ScheduleReport",
    "ScheduleTrigger",
    "ScheduledFunction",
    "StackSpec",
    "VirtualClock",
    "provision",
    "run",
    "scheduled_event",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
