"""Choosing the executor for a run, and our function's clock seam for its length."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ..clock import Clock, DeadlineClock, VirtualClock
from ..errors import BadInput
from ..latency import NONE, LatencyModel
from .base import FunctionSpec
from .inprocess import InProcessExecutor
from .worker_process import SubprocessExecutor

EXECUTORS = ("inprocess", "subprocess")


def check_executor(name: str) -> None:
    if name not in EXECUTORS:
        choices = ", ".join(EXECUTORS)
        raise BadInput(f"--executor {name!r} is not available; choose one of {choices}")


def executor_for(
    name: str,
    function: FunctionSpec,
    clock: VirtualClock,
    runtime_environment: Mapping[str, str],
    seam: DeadlineClock,
    latency: LatencyModel = NONE,
) -> InProcessExecutor | SubprocessExecutor:
    """`--executor NAME` for one run: not yet entered (use it as a context manager)."""
    check_executor(name)
    if name == "subprocess":  # the worker's clock is the harness's, over a pipe
        return SubprocessExecutor(
            function, clock=clock, runtime_environment=runtime_environment, latency=latency
        )
    return InProcessExecutor(
        function,
        clock=clock,
        runtime_environment=runtime_environment,
        function_clock=seam,
        latency=latency,
    )


@contextmanager
def function_runtime(clock: Clock) -> Iterator[DeadlineClock]:
    """Point our function's clock seam at virtual time (a view of it that stops the
    function at its deadline) and start it cold."""
    from function import clock as function_clock
    from function import handler as function_handler

    seam = DeadlineClock(clock)
    previous = function_clock.set_clock(seam)
    function_handler.reset_warm_state()
    try:
        yield seam
    finally:
        function_clock.set_clock(previous)
        function_handler.reset_warm_state()
