"""Errors the CLI turns into one line on stderr and exit code 2, and the signals it
turns into exceptions."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class BadInput(ValueError):
    """The user asked for something the harness cannot do; the message says what to fix."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the harness is (as Ctrl-C raises KeyboardInterrupt), so a
    run stops the same way: the report of what ran, the workers stopped, exit 143."""

    signal_number = 15


_stop_signal: list[int] = []  # the signal that asked the run to stop, once one did


@contextmanager
def signals_raise() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM raises Terminated where the run is,
    and both are remembered: an exception raised inside a finalizer or a weakref
    callback is printed and dropped by Python, so the firing loop also checks
    `raise_if_stopped` between steps. The run writes what ran, stops its workers, and
    the command exits 130 or 143."""

    def stop(signum: int, frame: object) -> None:
        _stop_signal.append(signum)
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    def unraisable(event: Any) -> None:
        # The interrupt Python dropped (see above) is not an error to print: the
        # firing loop raises it again at its next step.
        if not isinstance(event.exc_value, KeyboardInterrupt):
            previous_hook(event)

    _stop_signal.clear()
    try:
        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave the signals alone
        yield
        return
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        sys.unraisablehook = previous_hook
        _stop_signal.clear()


def raise_if_stopped() -> None:
    """Raise the interrupt a signal asked for, if one did (and it was lost on the way)."""
    if _stop_signal:
        raise Terminated() if _stop_signal[0] == signal.SIGTERM else KeyboardInterrupt()
