"""The in-process executor: the fast path.

The handler is imported once (a warm container that never goes cold), the Lambda
environment is applied to this process for the executor's lifetime, and stdout is
captured per invocation as CloudWatch Logs would capture it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any

from ..clock import Clock, DeadlineClock, FunctionTimedOut
from ..latency import NONE, LatencyModel, charges
from . import virtual_time
from .base import (
    FunctionSpec,
    InvocationResult,
    Status,
    context_fields,
    lambda_environment,
    load_handler,
    timeout_error,
)
from .events import LambdaContext
from .lambda_logging import InvocationOutput, RuntimeLogHandler, root_level
from .worker import error_record


class InProcessExecutor:
    name = "inprocess"

    def __init__(
        self,
        function: FunctionSpec,
        *,
        clock: Clock,
        runtime_environment: Mapping[str, str],
        function_clock: DeadlineClock | None = None,
        latency: LatencyModel = NONE,
    ) -> None:
        self._function = function
        self._clock = clock
        self._latency = latency
        self._reset = False  # a timeout reset the environment: the next init is suppressed
        self._init_virtual_ms = 0.0  # virtual time the handler's import took
        # The handler's clock: every clock and sleep inside it (virtual_time), and our
        # function's clock seam; it stops the handler at its deadline.
        self._function_clock = function_clock or DeadlineClock(clock)
        self._environment = lambda_environment(function, runtime_environment)
        self._saved_environment: dict[str, str] | None = None
        self._handler: Callable[[Any, Any], Any] | None = None
        self._warm = False
        self._init_logs: list[str] = []  # what init wrote: the first invocation's logs
        self._log_handler: logging.Handler | None = None
        self._saved_root_level = logging.getLogger().level

    def __enter__(self) -> InProcessExecutor:
        self._saved_environment = dict(os.environ)
        os.environ.update(self._environment)
        if self._function.code_dir:
            sys.path.insert(0, self._function.code_dir)
        self._start_runtime_logging()
        charges.install(self._latency, virtual_time.current_request_id)
        charges.take_calls("")  # calls counted as some earlier init's are not this one's
        charges.set_init_identity("init:0")
        init_output = InvocationOutput("", self._clock.now)
        try:
            init_started = self._clock.now()
            with (
                contextlib.redirect_stdout(init_output),
                virtual_time.bound(self._function_clock),  # init sees virtual time too
            ):
                self._handler = load_handler(self._function.handler)
            self._init_virtual_ms = (self._clock.now() - init_started).total_seconds() * 1000
            self._init_logs = init_output.close_lines()
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore()

    def _start_runtime_logging(self) -> None:
        """The Lambda runtime's handler on the root logger, and its level."""
        root = logging.getLogger()
        self._saved_root_level = root.level
        json_format = self._environment.get("AWS_LAMBDA_LOG_FORMAT", "").lower() == "json"
        self._log_handler = RuntimeLogHandler(virtual_time.current_request_id, json_format)
        root.addHandler(self._log_handler)
        level = root_level(self._environment)
        if level is not None:
            root.setLevel(level)

    def _restore(self) -> None:
        """Leave the process as it was: environment, import path, root logger, and no
        module of the function's code directory (another run's code dir may hold a
        same-named one)."""
        charges.install(None, virtual_time.current_request_id)
        if self._log_handler is not None:
            root = logging.getLogger()
            root.removeHandler(self._log_handler)
            root.setLevel(self._saved_root_level)
            self._log_handler = None
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)
            self._saved_environment = None
        code_dir = self._function.code_dir
        if code_dir:
            if code_dir in sys.path:
                sys.path.remove(code_dir)
            inside = os.path.join(code_dir, "")
            for name, module in list(sys.modules.items()):
                if str(getattr(module, "__file__", None) or "").startswith(inside):
                    del sys.modules[name]

    def context(self, request_id: str) -> LambdaContext:
        return LambdaContext(
            **context_fields(self._function, request_id, self.name),
            clock=self._clock,
            deadline=self._clock.now() + timedelta(seconds=self._function.timeout_seconds),
        )

    def invoke(self, event: dict[str, Any], request_id: str) -> InvocationResult:
        assert self._handler is not None, "use the executor as a context manager"
        cold = not self._warm
        suppressed, self._reset = self._reset, False  # the reset environment is this one
        init_ms = 0.0
        if cold:  # Init runs before the handler, and its Init Duration is not Duration
            init_ms = self._init_virtual_ms + self._init_draw_ms(request_id)
            self._clock.sleep(init_ms / 1000)
        context = self.context(request_id)
        started_virtual = self._clock.now()
        started_wall = time.perf_counter()
        captured = InvocationOutput(request_id, self._clock.now)
        response: Any = None
        error: str | None = None
        seam = self._function_clock
        outer_deadline = seam.deadline
        seam.deadline = context.deadline
        timed_out = False
        with contextlib.redirect_stdout(captured):
            try:
                with virtual_time.bound(seam, request_id):
                    if suppressed:  # re-init after a reset: in Duration, against the timeout
                        seam.sleep((self._init_virtual_ms + self._init_draw_ms(request_id)) / 1000)
                    charges.charge_invocation()
                    random.seed(request_id)  # botocore's retry jitter, the handler's own draws
                    response = self._handler(event, context)
            except FunctionTimedOut:
                timed_out = True
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                print(error_record(exc, request_id))
            except SystemExit as exc:  # Lambda's runtime process ends: the invocation fails
                error = f"Runtime.ExitError: Runtime exited with error: exit status {exc.code}"
                print(f"RequestId: {request_id} Error: {error.partition(': ')[2]}")
            finally:
                seam.deadline = outer_deadline  # an interleaved run resumes with its own
        wall_ms = (time.perf_counter() - started_wall) * 1000
        duration_ms = int((self._clock.now() - started_virtual).total_seconds() * 1000)
        status: Status = "succeeded" if error is None else "function_error"
        if timed_out or duration_ms > self._function.timeout_seconds * 1000:
            # Stopped at its deadline by the clock seam, or (a handler that never looks
            # at our clock) ran past it: Lambda would have stopped it there either way.
            status = "timeout"
            error = timeout_error(request_id, self._function.timeout_seconds)
        self._latency.forget(request_id)
        calls = charges.take_calls(request_id, with_init=cold)
        # A timeout resets the environment (the handler stays imported here, but the
        # next invocation pays init again, as Lambda's suppressed init).
        self._warm = True
        if status == "timeout":
            self._reset = True
        logs = captured.close_lines()
        if cold:
            logs, self._init_logs = self._init_logs + logs, []
        return InvocationResult(
            status=status,
            duration_ms=min(duration_ms, self._function.timeout_seconds * 1000),
            wall_ms=wall_ms,
            request_id=request_id,
            response=response,
            error=error,
            logs=logs,
            cold=cold,
            init_ms=init_ms,
            suppressed_init=suppressed,
            aws_calls=calls,
        )

    def _init_draw_ms(self, request_id: str) -> float:
        identity = f"init:{request_id}"
        drawn = self._latency.draw_ms(self._latency.init, identity, "init")
        self._latency.forget(identity)
        return drawn
