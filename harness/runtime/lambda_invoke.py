"""The executor for backends that run functions themselves (LocalStack, AWS): each attempt
is the backend's own Lambda Invoke, read back as an executor's `InvocationResult`."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .base import InvocationResult


class _Backend(Protocol):
    """What the invoker needs of a backend (`aws.RemoteBackend` has it)."""

    def client(self, service: str) -> Any: ...


_REPORT = re.compile(r"Duration: ([\d.]+) ms")


class LambdaInvoker:
    """The function invoked through the backend's Lambda API (synchronously, with the log
    tail), so the harness sees each attempt's outcome and applies AWS's async retries."""

    def __init__(self, backend: _Backend, function_name: str) -> None:
        self._lambda = backend.client("lambda")
        self._function = function_name

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        started = time.perf_counter()
        try:
            answer = self._lambda.invoke(
                FunctionName=self._function,
                InvocationType="RequestResponse",
                LogType="Tail",
                Payload=json.dumps(event).encode(),
            )
        except (ClientError, BotoCoreError) as exc:
            # The Invoke itself failed (a throttle, a connection reset): the attempt
            # failed, and the delivery engine retries it as Lambda's async retries would.
            wall_ms = (time.perf_counter() - started) * 1000
            reason = " ".join(str(exc).split())
            return InvocationResult(
                "function_error",
                round(wall_ms),
                wall_ms,
                request_id,
                error=f"Invoke failed: {reason}",
            )
        wall_ms = (time.perf_counter() - started) * 1000
        return invocation_result(answer, request_id=request_id, wall_ms=wall_ms)


def invocation_result(
    answer: dict[str, Any], *, request_id: str, wall_ms: float
) -> InvocationResult:
    """An Invoke response (payload, FunctionError, base64 log tail) as an attempt."""
    body = answer["Payload"].read() if hasattr(answer.get("Payload"), "read") else b""
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = body.decode(errors="replace")
    tail = base64.b64decode(answer.get("LogResult") or "").decode(errors="replace")
    logs = tail.splitlines()
    report = _REPORT.search(tail)
    duration_ms = round(float(report.group(1))) if report else round(wall_ms)
    request = answer.get("ResponseMetadata", {}).get("RequestId") or request_id
    if not answer.get("FunctionError"):
        return InvocationResult("succeeded", duration_ms, wall_ms, request, payload, logs=logs)
    error = payload if isinstance(payload, dict) else {"errorMessage": str(payload)}
    message = str(error.get("errorMessage", ""))
    kind = str(error.get("errorType", "Error"))
    timed_out = kind == "Sandbox.Timedout" or "Task timed out" in message
    return InvocationResult(
        "timeout" if timed_out else "function_error",
        duration_ms,
        wall_ms,
        request,
        payload,
        error=f"{kind}: {message}",
        logs=logs,
    )
