"""The subprocess executor's worker: one warm process per function configuration.

Started with the Lambda environment, it imports the handler once (the cold start) and
then runs invocations it is sent, one JSON line per message over stdin/stdout. Time is
the harness's: the function's clock seam, and every clock and sleep of the handler's
threads (`virtual_time.py` beside this script, loaded by its path), ask the harness
for `now` and for every `sleep`, so the virtual timeline, the mock API's logical time
and the function's timeout all stay one. What the function prints is captured per
invocation, as CloudWatch Logs would.

Run by the harness as `python <path>/harness/runtime/worker.py HANDLER`, as a script, so that
a cold start pays for the function's imports and not for the harness's (which pull in
moto and FastAPI). It imports nothing from the harness package.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import logging
import os
import random
import resource
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import IO, Any

IO_TIMEOUT_WALL_SECONDS = 1.0


class RemoteClock:
    """The function's clock, answered by the harness over the protocol stream."""

    virtual = True

    def __init__(self, out: IO[bytes], inp: IO[bytes]) -> None:
        self._out, self._in = out, inp
        self._lock = threading.Lock()  # the function's threads share one protocol stream

    def _ask(self, message: dict[str, Any]) -> datetime:
        with self._lock:
            self._out.write(json.dumps(message).encode() + b"\n")
            self._out.flush()
            answer = json.loads(self._in.readline())
        return datetime.fromisoformat(answer["now"])

    def now(self) -> datetime:
        return self._ask({"op": "now"})

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._ask({"op": "sleep", "seconds": seconds})

    def io_timeout(self, seconds: float) -> float:
        return min(seconds, IO_TIMEOUT_WALL_SECONDS)


class InitClock:
    """The clock during init, before the harness answers: it starts at the instant the
    harness gave and moves by what init sleeps."""

    virtual = True

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now += timedelta(seconds=max(0.0, seconds))

    def io_timeout(self, seconds: float) -> float:
        return min(seconds, IO_TIMEOUT_WALL_SECONDS)


def error_record(exc: BaseException, request_id: str) -> str:
    """The runtime's own log line for an unhandled exception, as Lambda writes it."""
    return json.dumps(
        {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
    )


class _Context:
    def __init__(self, fields: dict[str, Any], clock: RemoteClock) -> None:
        self.__dict__.update(fields)
        self._clock = clock
        self._deadline = datetime.fromisoformat(fields["deadline"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock.now()).total_seconds() * 1000))


def _exit_with_the_harness(parent: int) -> None:
    """A worker never outlives the harness: whatever ends the harness (SIGKILL too),
    the worker is re-parented and notices within a tenth of a second."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)  # an unbound thread: the real sleep
        os._exit(1)

    threading.Thread(target=watch, name="harness-watch", daemon=True).start()


def main(
    handler_path: str,
    virtual_time: ModuleType,
    lambda_logging: ModuleType,
    latency: ModuleType,
    charges: ModuleType,
) -> None:
    # The protocol gets a descriptor of its own; descriptor 1 becomes stderr, so nothing
    # the function writes to stdout by any route (os.write(1), a child process, the
    # C library) can corrupt the protocol. Python-level prints are captured per
    # invocation below.
    _exit_with_the_harness(int(os.environ.pop("_HARNESS_PID", "0")) or os.getppid())
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    protocol_in = sys.stdin.buffer
    clock = RemoteClock(protocol_out, protocol_in)
    with contextlib.suppress(ImportError):
        from function import clock as function_clock

        function_clock.set_clock(clock)
    # The runtime's logging: its handler on the root logger, the level it sets, UTC.
    logging.Formatter.converter = time.gmtime
    json_format = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").lower() == "json"
    root = logging.getLogger()
    root.addHandler(lambda_logging.RuntimeLogHandler(virtual_time.current_request_id, json_format))
    level = lambda_logging.root_level(os.environ)
    if level is not None:
        root.setLevel(level)
    module_name, _, attribute = handler_path.rpartition(".")
    started_at = os.environ.pop("_HARNESS_INIT_TIME", None)
    model = json.loads(os.environ.pop("_HARNESS_LATENCY", "null"))
    charges.install(
        latency.LatencyModel.from_json(model) if model else None,
        virtual_time.current_request_id,
    )
    charges.set_init_identity(os.environ.pop("_HARNESS_INIT_IDENTITY", "init"))
    init_clock = InitClock(datetime.fromisoformat(started_at) if started_at else datetime.now(UTC))
    init_started = init_clock.now()
    init_output = lambda_logging.InvocationOutput("", init_clock.now)
    with contextlib.redirect_stdout(init_output), virtual_time.bound(init_clock):
        # Init reads and waits on virtual time too; what it writes opens the first
        # invocation's logs.
        handler = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(handler):  # the in-process executor's words, as the last stderr line
        sys.stderr.write(f"handler {handler_path!r}: {module_name} has no function {attribute!r}\n")
        sys.exit(2)
    init_logs: list[str] = init_output.close_lines()
    init_ms = (init_clock.now() - init_started).total_seconds() * 1000  # virtual
    protocol_out.write(json.dumps({"op": "ready", "init_ms": init_ms}).encode() + b"\n")
    protocol_out.flush()
    for line in protocol_in:
        request = json.loads(line)
        request_id = request["context"]["aws_request_id"]
        captured = lambda_logging.InvocationOutput(request_id, clock.now)
        response: Any = None
        error: str | None = None
        context = _Context(request["context"], clock)
        with contextlib.redirect_stdout(captured):
            try:
                with virtual_time.bound(clock, request_id):
                    if request.get("reinit_seconds"):  # a suppressed init, in this Duration
                        time.sleep(request["reinit_seconds"])
                    charges.charge_invocation()
                    random.seed(request_id)  # botocore's retry jitter, the handler's own draws
                    response = handler(request["event"], context)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                print(error_record(exc, request_id))
        charges.forget(request_id)
        calls = charges.take_calls(request_id, with_init=True)  # init's: the first one's
        logs, init_logs = init_logs + captured.close_lines(), []
        # Peak RSS of this worker (KiB on Linux), as Lambda's "Max Memory Used".
        memory = -(-resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        try:
            encoded = json.dumps(
                {
                    "op": "result",
                    "response": response,
                    "error": error,
                    "logs": logs,
                    "max_memory_mb": memory,
                    "aws_calls": calls,
                }
            )
        except (TypeError, ValueError) as exc:  # Lambda cannot serialise it either
            failure = f"Runtime.MarshalError: {exc}"
            encoded = json.dumps({"op": "result", "response": None, "error": failure, "logs": logs})
        protocol_out.write(encoded.encode() + b"\n")
        protocol_out.flush()


def _load(name: str) -> ModuleType:
    """harness/NAME.py (`runtime/virtual_time`, ...) loaded by its path: importing the
    harness package would cost a cold start the harness's imports."""
    harness = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(harness, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_harness_{name.replace('/', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    sys.path.pop(0)  # the script's own directory: harness/ modules must not shadow others
    main(
        sys.argv[1],
        _load("runtime/virtual_time"),
        _load("runtime/lambda_logging"),
        _load("latency/base"),
        _load("latency/charges"),
    )
