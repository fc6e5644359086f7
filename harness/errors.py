"""Errors the CLI turns into one line on stderr and exit code 2, and the signals it
turns into exceptions."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class BadInput(ValueError):
    """The user asked for something the harness cannot do; the message says what to fix."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the harness is (as Ctrl-C raises KeyboardInterrupt), so a
    run stops the same way: the report of what ran, the workers stopped, exit 143."""

    signal_number = 15


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """SIGTERM raises Terminated where the run is, as Ctrl-C raises KeyboardInterrupt:
    the run writes what ran, stops its workers, and the command exits 143."""

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
