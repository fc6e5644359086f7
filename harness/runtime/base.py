"""The executor seam: what a function is, what one invocation of it yields, and the one
method every executor has (in-process, a worker process, a backend's Lambda Invoke).

The environment variables and context attributes Lambda hands a function are built here,
once, for every executor.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import BadInput

Status = Literal["succeeded", "function_error", "timeout"]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arn: str
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    code_dir: str | None = None  # where the handler's modules live, when not in this project

    def to_report(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "handler": self.handler,
            "timeout_seconds": self.timeout_seconds,
            "memory_mb": self.memory_mb,
        }


@dataclass
class InvocationResult:
    status: Status
    duration_ms: int  # virtual time the invocation took
    wall_ms: float
    request_id: str
    response: Any = None
    error: str | None = None
    logs: list[str] = field(default_factory=list)
    cold: bool = False  # the first invocation of a fresh (or restarted) environment
    init_ms: float = 0.0  # virtual time a cold start's init took (Init Duration)
    suppressed_init: bool = False  # init re-ran inside this invocation (after a timeout)
    max_memory_mb: int | None = None  # the worker's peak RSS (measured per process only)
    aws_calls: dict[str, int] = field(default_factory=dict)  # `service:Operation` -> attempts


def error_parts(error: str) -> tuple[str | None, str]:
    """An executor's error (`Type: message`) as Lambda's `errorType` and `errorMessage`;
    no type when the text does not start with one."""
    kind, sep, message = error.partition(": ")
    if sep and kind and " " not in kind:
        return kind, message
    return None, error


def timeout_error(request_id: str, timeout_seconds: int) -> str:
    """Lambda's error for a timed-out invocation (its 2024 form): errorType
    `Sandbox.Timedout`, and no "Task timed out" line in the function's logs."""
    return (
        f"Sandbox.Timedout: RequestId: {request_id} Error: Task timed out after"
        f" {timeout_seconds:.2f} seconds"
    )


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    return import_function(handler)


def import_function(dotted: str, what: str = "handler") -> Callable[..., Any]:
    """`package.module.function`, imported; one line of BadInput naming `what` when the
    module will not import (or exits) or has no such function."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise BadInput(f"{what} {dotted!r} must look like package.module.function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BadInput(f"{what} module {module_name!r} cannot be imported: {exc}") from None
    except SystemExit as exc:
        raise BadInput(
            f"{what} module {module_name!r} called sys.exit({exc.code!r}) while importing"
        ) from None
    except Exception as exc:  # the module raised while importing (a SyntaxError, ...)
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise BadInput(f"{what} module {module_name!r} failed to import: {reason}") from None
    target = getattr(module, attribute, None)
    if not callable(target):
        raise BadInput(f"{what} {dotted!r}: {module_name} has no function {attribute!r}")
    return target  # type: ignore[no-any-return]


def lambda_environment(
    function: FunctionSpec, runtime_environment: Mapping[str, str]
) -> dict[str, str]:
    """The variables Lambda sets for the function, over the backend's and its own."""
    return {
        **runtime_environment,
        **function.environment,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_HANDLER": function.handler,
    }


def context_fields(function: FunctionSpec, request_id: str, executor: str) -> dict[str, Any]:
    """The Lambda context's attributes (all but the remaining-time method)."""
    return {
        "function_name": function.name,
        "function_version": "$LATEST",
        "invoked_function_arn": function.arn,
        "memory_limit_in_mb": function.memory_mb,
        "aws_request_id": request_id,
        "log_group_name": f"/aws/lambda/{function.name}",
        "log_stream_name": f"harness/[$LATEST]{executor}",
    }


class Executor(Protocol):
    """Runs the function once per call. The in-process and worker-process executors are
    also context managers (the Lambda environment, the warm worker) around a run;
    the Lambda Invoke one needs no set-up."""

    def invoke(self, event: Any, request_id: str) -> InvocationResult: ...
