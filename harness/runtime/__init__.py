"""The Lambda runtime as the harness emulates it: the executors that run a handler (in
this process, in a warm worker process, or through a backend's Lambda Invoke), the event
and context they hand it, and the Lambda environment it runs in."""

from .base import Executor, FunctionSpec, InvocationResult, load_handler
from .events import LambdaContext, scheduled_event, seeded_uuid
from .executors import EXECUTORS, check_executor, executor_for, function_runtime
from .inprocess import InProcessExecutor
from .lambda_invoke import LambdaInvoker
from .worker_process import SubprocessExecutor

__all__ = [
    "EXECUTORS",
    "Executor",
    "FunctionSpec",
    "InProcessExecutor",
    "InvocationResult",
    "LambdaContext",
    "LambdaInvoker",
    "SubprocessExecutor",
    "check_executor",
    "executor_for",
    "function_runtime",
    "load_handler",
    "scheduled_event",
    "seeded_uuid",
]
