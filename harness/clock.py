"""Virtual time: the harness moves it; nothing reads the wall clock or really sleeps.

`VirtualClock` satisfies the function's clock seam (`now`, `sleep`, `io_timeout`) and
the mock API's time source (`now`, `sleep`), so the function's backoff, timeouts and
timestamps, Lambda's remaining-time budget and the API's logical time, delays and drips
all follow one timeline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# How long, in wall seconds, a network wait may really block in virtual time: only a
# server that never answers (a `hang` fault) runs into it, and the wait then counts as
# the full timeout the function asked for, in virtual time.
IO_TIMEOUT_WALL_SECONDS = 1.0


class FunctionTimedOut(BaseException):
    """Lambda stopped the function at its timeout. A BaseException, so the function's
    own `except Exception` cannot carry on past its deadline."""


class DeadlineClock:
    """The function's view of the virtual clock during an invocation (in process).

    Lambda stops a function at its timeout, whatever it is doing; a function running in
    this process cannot be frozen, so its next look at the clock past its deadline ends
    it instead, and a wait that would cross the deadline ends at it. Work that finished
    in between (a call that was in flight) is what a real timeout can leave done too.
    """

    virtual = True

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.deadline: datetime | None = None  # set by the executor per invocation

    def now(self) -> datetime:
        now = self._clock.now()
        if self.deadline is not None and now > self.deadline:
            raise FunctionTimedOut(self.deadline)
        return now

    def sleep(self, seconds: float) -> None:
        deadline = self.deadline
        if deadline is not None and self.now() + timedelta(seconds=seconds) > deadline:
            self._clock.sleep_until(deadline)
            raise FunctionTimedOut(deadline)
        self._clock.sleep(seconds)

    def io_timeout(self, seconds: float) -> float:
        return self._clock.io_timeout(seconds)


class VirtualClock:
    virtual = True  # the mock API spends logical time on delays instead of waiting

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self.slept_seconds = 0.0
        self._wait_hook: Callable[[datetime], None] | None = None
        self._hook_thread: int | None = None

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance by `seconds` at once: a wait costs no wall time. While a run waits,
        whatever else is due before it wakes runs first (the wait hook), so runs that
        overlap in virtual time interleave at their waits.

        Waits on other threads (the function's parallel batch writes, the mock API's
        and the AWS proxy's delays for them) add up: parallel waits cost their sum, not
        the longest, which overstates them but gives the same time whatever order the
        threads run in."""
        if seconds <= 0:
            return
        if self._hook_for_this_thread() is not None:
            self.sleep_until(self._now + timedelta(seconds=seconds))
            return
        with self._lock:
            self.slept_seconds += seconds
            self._now += timedelta(seconds=seconds)

    def sleep_until(self, wake: datetime) -> None:
        hook = self._hook_for_this_thread()
        if hook is not None:
            hook(wake)  # may run other executions, each on its own timeline
            with self._lock:
                self.slept_seconds += max(0.0, (wake - self._now).total_seconds())
                self._now = wake  # back on this execution's timeline
            return
        with self._lock:
            # Another thread of the same execution may have moved time on meanwhile:
            # time never goes back here.
            if wake > self._now:
                self.slept_seconds += (wake - self._now).total_seconds()
                self._now = wake

    def _hook_for_this_thread(self) -> Callable[[datetime], None] | None:
        """The wait hook, if this is the thread that set it (the delivery loop's)."""
        hook = self._wait_hook
        return hook if hook is not None and threading.get_ident() == self._hook_thread else None

    def set_wait_hook(self, hook: Callable[[datetime], None] | None) -> None:
        """Called with the wake-up time whenever the thread that sets it sleeps (the
        delivery loop's thread; the mock API's delays on its own thread never call it)."""
        self._wait_hook = hook
        self._hook_thread = threading.get_ident() if hook is not None else None

    def io_timeout(self, seconds: float) -> float:
        """The wall-clock timeout for a network wait of `seconds` of virtual time."""
        return min(seconds, IO_TIMEOUT_WALL_SECONDS)

    def move_to(self, t: datetime) -> None:
        """Set the time, backwards too: an execution that overlaps an earlier one (which
        already ran to its end in wall time) starts on its own timeline."""
        with self._lock:
            self._now = t

    def advance_to(self, t: datetime) -> None:
        with self._lock:
            if t < self._now:
                raise ValueError(f"virtual time cannot go back from {self._now} to {t}")
            self._now = t
