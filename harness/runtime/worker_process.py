"""`--executor subprocess`: the handler in warm worker processes of its own.

Workers for one function configuration, started with the Lambda environment variables
(`AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_REGION`,
`_HANDLER`, ...), reused between invocations, killed when an invocation reaches the
function's timeout in virtual time (or hangs in wall time), and replaced by a cold one
after a timeout or a crash. A run that starts while another is waiting (runs that
overlap in virtual time) gets a worker of its own, as Lambda gives concurrent
executions environments of their own.
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
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from ..clock import VirtualClock
from ..errors import BadInput
from ..latency import NONE, LatencyModel
from .base import (
    FunctionSpec,
    InvocationResult,
    Status,
    context_fields,
    lambda_environment,
    timeout_error,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().with_name("worker.py")
INIT_TIME_VARIABLE = "_HARNESS_INIT_TIME"  # the virtual instant a worker's init starts at
WALL_LIMIT_SECONDS = 120.0  # a worker silent this long in wall time is stuck: killed
READY_LIMIT_SECONDS = 60.0
INHERITED = frozenset({"PATH", "LANG", "TZ", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV"})


class _Worker:
    """One worker process and its protocol stream."""

    def __init__(
        self, handler: str, environment: dict[str, str], started: datetime, identity: str
    ) -> None:
        # stderr goes to a file, not a pipe: a function logging a lot through the
        # logging module (stderr by default) must never block on a full pipe. Lambda
        # sends stderr to the logs, and so does this executor.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self._stderr_read = 0
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            # Init runs before the worker can ask the harness the time: it starts here.
            env={
                **environment,
                INIT_TIME_VARIABLE: started.isoformat(),
                "_HARNESS_INIT_IDENTITY": identity,  # whose latency draws init's are
                "_HARNESS_PID": str(os.getpid()),  # the worker exits when it is gone
            },
            cwd=REPO_ROOT,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self.fresh = True  # not yet invoked: its first invocation is a cold start
        self.suppressed = False  # replaces one a timeout killed: its init is suppressed
        ready = self.read(READY_LIMIT_SECONDS)
        if ready is None or ready["op"] != "ready":
            problem = "\n".join(self.new_stderr())
            try:
                code: int | None = self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            self.kill()
            exited = f"it exited with status {code} while importing the handler"
            last = problem.strip().splitlines()[-1] if problem.strip() else exited
            raise BadInput(f"the function's worker did not start: {last}")
        self.init_ms = float(ready.get("init_ms", 0.0))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()
        self._selector.close()

    def new_stderr(self) -> list[str]:
        """What the worker wrote to stderr since the last look."""
        if self._stderr.closed:
            return []
        self._stderr.seek(self._stderr_read)
        data = self._stderr.read()
        self._stderr_read += len(data)
        return data.decode(errors="replace").splitlines()

    def read(self, limit: float) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        if not self._selector.select(timeout=limit):
            return None  # silent for `limit` wall seconds
        line = self.process.stdout.readline()
        if not line:
            return {"op": "exited"}
        try:
            message = json.loads(line)
        except ValueError:
            return {"op": "garbled"}
        return message if isinstance(message, dict) and "op" in message else {"op": "garbled"}

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()


class SubprocessExecutor:
    name = "subprocess"

    def __init__(
        self,
        function: FunctionSpec,
        *,
        clock: VirtualClock,
        runtime_environment: Mapping[str, str],
        latency: LatencyModel = NONE,
    ) -> None:
        self._function = function
        self._clock = clock
        self._latency = latency
        # The Lambda environment and little else: nothing of the harness's own
        # environment (credentials, profiles, HOME) leaks into the function.
        inherited = {k: v for k, v in os.environ.items() if k in INHERITED or k.startswith("LC_")}
        self._environment = {
            **inherited,
            **lambda_environment(function, runtime_environment),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "_HARNESS_LATENCY": json.dumps(latency.to_json()),
            "PYTHONPATH": os.pathsep.join(
                p
                for p in (function.code_dir, str(REPO_ROOT), os.environ.get("PYTHONPATH", ""))
                if p
            ),
        }
        # Idle environments, most recent last; None is one a timeout reset: the worker
        # that replaces it re-runs init inside its first invocation (suppressed init).
        self._idle: list[_Worker | None] = []
        self._busy: list[_Worker] = []
        self.cold_starts = 0

    def __enter__(self) -> SubprocessExecutor:
        self._idle.append(self._new_worker("init:0"))  # fail fast: a handler that won't import
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for worker in [*self._idle, *self._busy]:
            if worker is not None:
                worker.kill()
        self._idle, self._busy = [], []

    def _new_worker(self, identity: str, *, suppressed: bool = False) -> _Worker:
        """A worker whose init's latency draws are `identity`'s."""
        worker = _Worker(self._function.handler, self._environment, self._clock.now(), identity)
        self.cold_starts += 1
        worker.suppressed = suppressed
        return worker

    def _take_worker(self, request_id: str) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker is None:  # the environment a timeout reset
                return self._new_worker(f"init:{request_id}", suppressed=True)
            if worker.alive:
                return worker
            worker.kill()
        return self._new_worker(f"init:{request_id}")

    # -- invocations -----------------------------------------------------------------
    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        worker = self._take_worker(request_id)
        self._busy.append(worker)
        try:
            result, keep = self._invoke_on(worker, event, request_id)
        except BaseException:  # Ctrl-C, SIGTERM mid-invocation: the worker goes too
            worker.kill()
            raise
        finally:
            self._busy.remove(worker)
        if keep:
            self._idle.append(worker)
        else:
            worker.kill()
            if result.status == "timeout":
                self._idle.append(None)
        return result

    def _invoke_on(
        self, worker: _Worker, event: Any, request_id: str
    ) -> tuple[InvocationResult, bool]:
        first, worker.fresh = worker.fresh, False
        cold = first and not worker.suppressed
        function = self._function
        clock = self._clock
        # Init's virtual time: what the handler's import spent, and the cold start's draw.
        init_ms = worker.init_ms + self._init_draw_ms(request_id) if first else 0.0
        if cold:  # before the handler starts, and not in its Duration
            clock.sleep(init_ms / 1000)
        started_virtual = clock.now()
        deadline = started_virtual + timedelta(seconds=function.timeout_seconds)
        started_wall = time.perf_counter()
        worker.send(
            {
                "event": event,
                "context": {
                    **context_fields(function, request_id, self.name),
                    "deadline": deadline.isoformat(),
                },
                # A suppressed init: the worker spends it first, in Duration.
                "reinit_seconds": init_ms / 1000 if first and not cold else 0,
            }
        )
        status: Status = "succeeded"
        response: Any = None
        error: str | None = None
        logs: list[str] = []
        max_memory_mb: int | None = None
        aws_calls: dict[str, int] = {}
        keep = True
        timed_out = timeout_error(request_id, function.timeout_seconds)
        while True:
            message = worker.read(WALL_LIMIT_SECONDS)
            if message is None or message["op"] in ("exited", "garbled"):
                logs += worker.new_stderr()
                keep = False
                if message is None:
                    # Stuck in wall time (a busy loop): Lambda would have stopped it at
                    # its timeout, and that is the time it took.
                    clock.move_to(max(clock.now(), deadline))
                    status, error = "timeout", timed_out
                elif message["op"] == "exited":
                    status, error = "function_error", "Runtime.ExitError: the worker process exited"
                else:
                    status, error = "function_error", "Runtime.ExitError: unreadable worker output"
                break
            op = message.get("op")
            if op == "now":
                if clock.now() > deadline:
                    # Past its deadline (a call in flight took it there): Lambda has
                    # stopped the function by now, and so does the harness.
                    logs += worker.new_stderr()
                    keep = False
                    status, error = "timeout", timed_out
                    break
                worker.send({"now": clock.now().isoformat()})
            elif op == "sleep":
                wake = clock.now() + timedelta(seconds=float(message["seconds"]))
                if wake > deadline:
                    # Lambda stops the function at its timeout; so does the harness.
                    clock.sleep_until(deadline)
                    logs += worker.new_stderr()
                    keep = False
                    status, error = "timeout", timed_out
                    break
                clock.sleep_until(wake)  # runs due meanwhile go first, on other workers
                worker.send({"now": clock.now().isoformat()})
            elif op == "result":
                max_memory_mb = message.get("max_memory_mb")
                aws_calls = dict(message.get("aws_calls") or {})
                response = message.get("response")
                logs += list(message.get("logs", []))
                error = message.get("error")
                status = "succeeded" if error is None else "function_error"
                break
        if keep:
            logs += worker.new_stderr()
        wall_ms = (time.perf_counter() - started_wall) * 1000
        duration_ms = int((clock.now() - started_virtual).total_seconds() * 1000)
        if status != "timeout" and duration_ms > function.timeout_seconds * 1000:
            status, error = "timeout", timed_out
        result = InvocationResult(
            status=status,
            duration_ms=min(duration_ms, function.timeout_seconds * 1000),
            wall_ms=wall_ms,
            request_id=request_id,
            response=response,
            error=error,
            logs=logs,
            cold=cold,
            init_ms=init_ms if cold else 0.0,
            suppressed_init=first and not cold,
            max_memory_mb=max_memory_mb,
            aws_calls=aws_calls,
        )
        return result, keep

    def _init_draw_ms(self, request_id: str) -> float:
        identity = f"init:{request_id}"
        drawn = self._latency.draw_ms(self._latency.init, identity, "init")
        self._latency.forget(identity)
        return drawn
