"""Handlers for executor tests: each misbehaves in one way a real function can."""

from __future__ import annotations

import os
from typing import Any

from function.clock import get_clock

STARTED_IN = os.getpid()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    mode = event.get("mode", "ok")
    if mode == "sleep":  # waits on the clock past any timeout
        get_clock().sleep(10_000)
    if mode == "crash":
        os._exit(3)
    if mode == "raise":
        raise ValueError("bad input")
    print("hello from", os.environ["AWS_LAMBDA_FUNCTION_NAME"])
    return {
        "pid": os.getpid(),
        "handler": os.environ["_HANDLER"],
        "memory": os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
        "region": os.environ.get("AWS_REGION"),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "now": get_clock().now().isoformat(),
    }


def noisy(event: dict[str, Any], context: Any) -> str:
    """Writes far more to stderr than a pipe holds, as a chatty logging setup does."""
    import sys

    for n in range(event.get("lines", 20_000)):
        print(f"log line {n} " + "x" * 40, file=sys.stderr)
    return "done"


def raw_stdout(event: dict[str, Any], context: Any) -> str:
    """Writes to descriptor 1 behind Python's back, as C code or a child process does."""
    import subprocess

    os.write(1, b"raw bytes, no newline")
    subprocess.run(["echo", "from a child"], check=True)
    return os.environ.get("PROBE_SECRET", "no secret here")


def noop(event: Any, context: Any) -> None:
    """Does nothing: for measuring what delivery itself costs."""
