"""Virtual time: the harness moves it; nothing reads the wall clock or really sleeps.
(`ScaledClock`, live mode's, is the exception: the wall clock, sped up.)

`VirtualClock` satisfies the function's clock seam (`now`, `sleep`, `io_timeout`) and
the mock API's time source (`now`, `sleep`), so the function's backoff, timeouts and
timestamps, Lambda's remaining-time budget and the API's logical time, delays and drips
all follow one timeline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .errors import BadInput

# How long, in wall seconds, a network wait may really block in virtual time: only a
# server that never answers (a `hang` fault) runs into it, and the wait then counts as
# the full timeout the function asked for, in virtual time.
IO_TIMEOUT_WALL_SECONDS = 1.0
# The real monotonic clock, taken before runtime.virtual_time replaces `time.monotonic`
# (which reads virtual time on a handler's thread): live clocks always run on wall time.
_wall_monotonic = time.monotonic


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # instants a run or a schedule may start at
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # leaves a run room to end before the year 9999


def in_range(t: datetime) -> bool:
    """Whether `t` (timezone-aware) is an instant the harness accepts to start from."""
    return EARLIEST <= t < LATEST


def parse_instant(text: str, option: str) -> datetime:
    """An option's ISO 8601 instant (UTC when it names no zone), in range; BadInput
    otherwise."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{option} {shown!r} is not an ISO 8601 instant") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not in_range(parsed):
        raise BadInput(f"{option} must be from 1970-01-01 to before 9000-01-01, got {shown!r}")
    return parsed


def iso_z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 instant (`Z` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Clock(Protocol):
    """What the function's clock seam and the executors need of a clock."""

    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...
    def sleep_until(self, wake: datetime) -> None: ...
    def io_timeout(self, seconds: float) -> float: ...


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

    def __init__(self, clock: Clock) -> None:
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


class ScaledClock:
    """Live time: the wall clock run `speed` times faster from `start` (speed 60 is an
    hour a minute). Waits really wait, for 1/speed of their length; `stop()` ends every
    wait at once with `LiveStopped`, so Ctrl-C need not sit out a retry's backoff."""

    virtual = False  # the mock API waits for real on this clock

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("the speed must be positive")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._started = _wall_monotonic()
        self._wall_start = datetime.now(UTC)
        self._stopping = threading.Event()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(_wall_monotonic() - self._started) * self.speed)

    def sleep(self, seconds: float) -> None:
        if self._stopping.wait(max(0.0, seconds) / self.speed):
            raise LiveStopped

    def sleep_until(self, wake: datetime) -> None:
        self.sleep((wake - self.now()).total_seconds())

    def io_timeout(self, seconds: float) -> float:
        return seconds  # the network is not scaled: its waits are real

    def restart(self) -> None:
        """Read `start` again from now on (the deploy before the first fire took time)."""
        self._started = _wall_monotonic()
        self._wall_start = datetime.now(UTC)

    def stop(self) -> None:
        self._stopping.set()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def wall_at(self, instant: datetime) -> datetime:
        """When, on the wall clock, this clock reads `instant`."""
        return self._wall_start + (instant - self.start) / self.speed

    def at_wall(self, wall: datetime) -> datetime:
        """What this clock reads at wall-clock time `wall`."""
        return self.start + (wall - self._wall_start) * self.speed


class LiveRunClock:
    """The function's clock during a live invocation: its own work takes real time and
    its waits (backoff, Retry-After) are scaled down like every other wait. So its
    duration is what it would be on AWS, whatever the speed; on the scaled clock alone
    a 0.2 s run would last 12 minutes at speed 3600 and time out."""

    def __init__(self, clock: ScaledClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.begin()

    def begin(self) -> None:
        """Start an invocation's timeline at the live clock's now."""
        with self._lock:
            self._base = self._clock.now()
            self._started = _wall_monotonic()
            self._waited = 0.0  # seconds of waiting beyond the wall time they took

    def now(self) -> datetime:
        elapsed = _wall_monotonic() - self._started + self._waited
        return self._base + timedelta(seconds=elapsed)

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._clock.sleep(seconds)
        with self._lock:  # parallel waits add up, as on the virtual clock
            self._waited += seconds - seconds / self._clock.speed

    def sleep_until(self, wake: datetime) -> None:
        self.sleep((wake - self.now()).total_seconds())

    def io_timeout(self, seconds: float) -> float:
        return seconds


class LiveStopped(BaseException):
    """The live run is stopping: a wait ends early (a BaseException, as a timeout is)."""
