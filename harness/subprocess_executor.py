"""`--executor subprocess`: the handler in a warm worker process of its own.

One worker per function configuration, started with the Lambda environment variables
(`AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_REGION`,
`_HANDLER`, ...), reused between invocations, killed when an invocation reaches the
function's timeout in virtual time (or hangs in wall time), and started cold again on
the next invocation after a timeout or a crash.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .clock import VirtualClock
from .errors import BadInput
from .executor import FunctionSpec, InvocationResult, Status

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().with_name("worker.py")
WALL_LIMIT_SECONDS = 120.0  # a worker silent this long in wall time is stuck: killed
READY_LIMIT_SECONDS = 60.0
INHERITED = frozenset({"PATH", "LANG", "TZ", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV"})


class SubprocessExecutor:
    name = "subprocess"

    def __init__(
        self,
        function: FunctionSpec,
        *,
        clock: VirtualClock,
        runtime_environment: Mapping[str, str],
    ) -> None:
        self._function = function
        self._clock = clock
        # The Lambda environment and little else: nothing of the harness's own
        # environment (credentials, profiles, HOME) leaks into the function.
        inherited = {k: v for k, v in os.environ.items() if k in INHERITED or k.startswith("LC_")}
        self._environment = {
            **inherited,
            **runtime_environment,
            **function.environment,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "_HANDLER": function.handler,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._stderr_read = 0
        self._selector: selectors.BaseSelector | None = None
        self._fresh = False  # started and not yet invoked: the next invocation is cold
        self._init_ms = 0.0
        self.cold_starts = 0

    def __enter__(self) -> SubprocessExecutor:
        self._start()  # fail fast on a handler that does not import
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._kill()

    # -- the worker ------------------------------------------------------------------
    def _start(self) -> float:
        # stderr goes to a file, not a pipe: a function logging a lot through the
        # logging module (stderr by default) must never block on a full pipe. Lambda
        # sends stderr to the logs, and so does this executor.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self._stderr_read = 0
        process = subprocess.Popen(
            [sys.executable, str(WORKER), self._function.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=self._environment,
            cwd=REPO_ROOT,
        )
        self._process = process
        self._selector = selectors.DefaultSelector()
        assert process.stdout is not None
        self._selector.register(process.stdout, selectors.EVENT_READ)
        ready = self._read(READY_LIMIT_SECONDS)
        if ready is None or ready["op"] != "ready":
            problem = "\n".join(self._new_stderr())
            self._kill()
            last = problem.strip().splitlines()[-1] if problem.strip() else "it exited"
            raise BadInput(f"the function's worker did not start: {last}")
        self.cold_starts += 1
        self._fresh = True
        self._init_ms = float(ready.get("init_ms", 0.0))
        return self._init_ms

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._selector is not None:
            self._selector.close()
        self._process = None
        self._selector = None

    def _new_stderr(self) -> list[str]:
        """What the worker wrote to stderr since the last look."""
        if self._stderr is None:
            return []
        self._stderr.seek(self._stderr_read)
        data = self._stderr.read()
        self._stderr_read += len(data)
        return data.decode(errors="replace").splitlines()

    def _read(self, limit: float) -> dict[str, Any] | None:
        assert self._process is not None and self._selector is not None
        assert self._process.stdout is not None
        if not self._selector.select(timeout=limit):
            return None  # silent for `limit` wall seconds
        line = self._process.stdout.readline()
        if not line:
            return {"op": "exited"}
        try:
            message = json.loads(line)
        except ValueError:
            return {"op": "garbled"}
        return message if isinstance(message, dict) and "op" in message else {"op": "garbled"}

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")
        self._process.stdin.flush()

    # -- invocations -----------------------------------------------------------------
    def invoke(self, event: dict[str, Any], request_id: str) -> InvocationResult:
        if self._process is None or self._process.poll() is not None:
            self._kill()
            self._start()
        cold, self._fresh = self._fresh, False
        init_ms = self._init_ms if cold else 0.0
        function = self._function
        clock = self._clock
        started_virtual = clock.now()
        deadline = started_virtual + timedelta(seconds=function.timeout_seconds)
        started_wall = time.perf_counter()
        self._send(
            {
                "event": event,
                "context": {
                    "function_name": function.name,
                    "function_version": "$LATEST",
                    "invoked_function_arn": function.arn,
                    "memory_limit_in_mb": function.memory_mb,
                    "aws_request_id": request_id,
                    "log_group_name": f"/aws/lambda/{function.name}",
                    "log_stream_name": "harness/[$LATEST]subprocess",
                    "deadline": deadline.isoformat(),
                },
            }
        )
        status: Status = "succeeded"
        response: Any = None
        error: str | None = None
        logs: list[str] = []
        while True:
            message = self._read(WALL_LIMIT_SECONDS)
            if message is None or message["op"] in ("exited", "garbled"):
                logs += self._new_stderr()
                self._kill()
                if message is None:
                    # Stuck in wall time (a busy loop): Lambda would have stopped it at
                    # its timeout, and that is the time it took.
                    clock.move_to(max(clock.now(), deadline))
                    status = "timeout"
                    error = f"Task timed out after {function.timeout_seconds:.2f} seconds"
                elif message["op"] == "exited":
                    status, error = "function_error", "Runtime.ExitError: the worker process exited"
                else:
                    status, error = "function_error", "Runtime.ExitError: unreadable worker output"
                break
            op = message.get("op")
            if op == "now":
                self._send({"now": clock.now().isoformat()})
            elif op == "sleep":
                wake = clock.now() + timedelta(seconds=float(message["seconds"]))
                if wake > deadline:
                    # Lambda stops the function at its timeout; so does the harness.
                    clock.move_to(deadline)
                    logs += self._new_stderr()
                    self._kill()
                    status = "timeout"
                    error = f"Task timed out after {function.timeout_seconds:.2f} seconds"
                    break
                clock.move_to(wake)
                self._send({"now": wake.isoformat()})
            elif op == "result":
                response = message.get("response")
                logs += list(message.get("logs", []))
                error = message.get("error")
                status = "succeeded" if error is None else "function_error"
                break
        if self._process is not None:
            logs += self._new_stderr()
        wall_ms = (time.perf_counter() - started_wall) * 1000
        duration_ms = int((clock.now() - started_virtual).total_seconds() * 1000)
        if status != "timeout" and duration_ms > function.timeout_seconds * 1000:
            status = "timeout"
            error = f"Task timed out after {function.timeout_seconds:.2f} seconds"
        return InvocationResult(
            status=status,
            duration_ms=min(duration_ms, function.timeout_seconds * 1000),
            wall_ms=wall_ms,
            request_id=request_id,
            response=response,
            error=error,
            logs=logs,
            cold=cold,
            init_ms=init_ms,
        )
