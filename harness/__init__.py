"""Local emulator and development harness for scheduled AWS Lambda functions.

The public names load on first use: the pytest plugin imports this package in every
test session of an environment that has the harness installed, and should cost nothing
there until a fixture is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import EmbeddedBackend
    from .clock import VirtualClock
    from .errors import BadInput
    from .events import LambdaContext, scheduled_event
    from .executor import FunctionSpec, InProcessExecutor, InvocationResult
    from .fault_proxy import AwsFaultProxy
    from .runner import RunOptions, RunResult, run
    from .schedules import Schedule, ScheduleError, ScheduleTrigger
    from .stack import Deployed, StackSpec, provision
    from .testing import FaultRules, ScenarioRunner, ScheduledFunction, ScheduleReport

_WHERE = {
    "AwsFaultProxy": "fault_proxy",
    "BadInput": "errors",
    "Deployed": "stack",
    "EmbeddedBackend": "backend",
    "FaultRules": "testing",
    "FunctionSpec": "executor",
    "InProcessExecutor": "executor",
    "InvocationResult": "executor",
    "LambdaContext": "events",
    "RunOptions": "runner",
    "RunResult": "runner",
    "ScenarioRunner": "testing",
    "Schedule": "schedules",
    "ScheduleError": "schedules",
    "ScheduleReport": "testing",
    "ScheduleTrigger": "schedules",
    "ScheduledFunction": "testing",
    "StackSpec": "stack",
    "VirtualClock": "clock",
    "provision": "stack",
    "run": "runner",
    "scheduled_event": "events",
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
