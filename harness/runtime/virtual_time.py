"""Virtual time inside the handler, whoever wrote it.

While a thread is bound to an invocation's clock, and in every thread it starts, the
wall clocks read the virtual clock and `time.sleep` advances it instead of waiting:
- `time.time`, `time_ns`, `gmtime`, `localtime`, `strftime`, `clock_gettime`,
  `datetime.now`, `utcnow` and `date.today`, through time-machine, which patches them in
  C (so C extensions and `from datetime import datetime` see them too);
- `time.monotonic`, `monotonic_ns`, `perf_counter`, `perf_counter_ns` and `sleep`,
  replaced in the `time` module (what is called as `time.sleep(...)`: botocore's and
  urllib3's retries, tenacity, asyncio's loop clock);
- waits with a timeout: an event loop's wait for its next timer (`asyncio.sleep`,
  `wait_for`), and `threading.Condition.wait` (`Event.wait`, `queue.get`,
  `Future.result` with a timeout). A wait nothing can end (no socket open, nobody to
  notify) moves the clock at once; one that real I/O or another thread may end waits
  for real, at most `REAL_WAIT_SECONDS`, then moves the clock by its whole timeout.

Every other thread (the embedded AWS, the mock API, the harness itself) keeps the real
clocks, so a run's wall-time figures and live mode's scaled clock stay true. time-machine
reads its stack of travellers on every call; here that stack is the calling thread's
bindings, empty (the real clocks) on an unbound thread.

This module imports nothing of the harness: the worker process loads it by path.
"""

from __future__ import annotations

import math
import queue
import selectors
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Protocol

import time_machine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REAL_WAIT_SECONDS = 1.0  # the longest a virtual wait that real I/O may end really waits
_NS = timedelta(microseconds=1)


class HandlerClock(Protocol):
    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...


class _Traveller:
    """What time-machine asks of a traveller: the time, in nanoseconds since the epoch.

    The clock itself is the harness's code: it runs with the real clocks (a live clock
    reads the wall clock, a scaled wait really waits), never recursing into these."""

    def __init__(self, clock: HandlerClock, request_id: str = "") -> None:
        self.clock = clock
        self.request_id = request_id  # the invocation's, for its log lines ("" in init)

    def now(self) -> datetime:
        with unbound():
            return self.clock.now()

    def sleep(self, seconds: float) -> None:
        with unbound():
            self.clock.sleep(seconds)

    def time_ns(self) -> int:
        return ((self.now() - EPOCH) // _NS) * 1000


_bound: dict[int, list[_Traveller]] = {}  # thread ident -> its bindings, innermost last
_install_lock = threading.Lock()
_installed = False
REAL: dict[str, Callable[..., Any]] = {}  # the real functions this module replaced


class _TravellingModule(types.ModuleType):
    """time-machine's module, whose `traveller_stack` its C patches read on every call:
    here, the calling thread's bindings (innermost last), or an empty list (the real
    clocks) on an unbound thread."""

    @property
    def traveller_stack(self) -> list[_Traveller]:
        return _bound.get(threading.get_ident()) or _NOT_TRAVELLING


_NOT_TRAVELLING: list[_Traveller] = []


def _current() -> _Traveller | None:
    bindings = _bound.get(threading.get_ident())
    return bindings[-1] if bindings else None


def _seconds(clock: _Traveller) -> float:
    return (clock.now() - EPOCH).total_seconds()


def _virtual(name: str, virtual: Callable[..., Any]) -> Callable[..., Any]:
    real = REAL[name] = getattr(time, name)

    def patched(*args: Any) -> Any:
        clock = _current()
        return real(*args) if clock is None else virtual(clock, *args)

    patched.__name__ = patched.__qualname__ = name
    patched.__doc__ = real.__doc__
    return patched


def _sleep(clock: _Traveller, seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    clock.sleep(float(seconds))


def _clock_info(clock: _Traveller, name: str) -> SimpleNamespace:
    """The virtual clocks tick in microseconds. An event loop adds this resolution to
    its time to decide which timers are due: the real clock's nanosecond would vanish
    in the float of a virtual instant (seconds since 1970), and a due timer would never
    run."""
    info = REAL["get_clock_info"](name)
    if name not in ("monotonic", "perf_counter", "time"):
        return info  # type: ignore[no-any-return]
    return SimpleNamespace(
        implementation="virtual clock (scheduled-lambda harness)",
        monotonic=name != "time",
        adjustable=False,
        resolution=1e-6,
    )


def _wait_out(clock: _Traveller, timeout: float) -> None:
    """A timed-out wait: the clock moves by the timeout, rounded up to the clock's
    microsecond. A deadline computed in floats (an event loop's next timer) can sit a
    fraction of a microsecond ahead; rounding down would leave it never reached."""
    clock.sleep(math.ceil(timeout * 1e6) / 1e6)


def install() -> None:
    """Patch the clocks, once per process. Unbound threads notice nothing."""
    global _installed
    with _install_lock:
        if _installed:
            return
        time_machine.__class__ = _TravellingModule
        # What travel.start() does for its first traveller (time-machine's C module).
        time_machine._time_machine.patch()  # type: ignore[attr-defined]
        replacements = {
            "monotonic": _virtual("monotonic", _seconds),
            "monotonic_ns": _virtual("monotonic_ns", lambda c: int(_seconds(c) * 1e9)),
            "perf_counter": _virtual("perf_counter", _seconds),
            "perf_counter_ns": _virtual("perf_counter_ns", lambda c: int(_seconds(c) * 1e9)),
            "sleep": _virtual("sleep", _sleep),
            "get_clock_info": _virtual("get_clock_info", _clock_info),
        }
        for name, function in replacements.items():
            setattr(time, name, function)
        # Modules that took the real monotonic at import, for their timeouts' arithmetic.
        threading._time = replacements["monotonic"]  # type: ignore[attr-defined]
        queue.time = replacements["monotonic"]  # type: ignore[attr-defined]
        _patch_thread_start()
        _patch_condition_wait()
        _patch_selectors()
        _installed = True


def _patch_thread_start() -> None:
    """A thread started by a bound thread is bound to the same clock for its life (the
    function's thread pools, its own workers)."""
    real_start = threading.Thread.start
    REAL["Thread.start"] = real_start

    def start(self: threading.Thread) -> None:
        bindings = _bound.get(threading.get_ident())
        if bindings:
            traveller, run = bindings[-1], self.run

            def bound_run() -> None:
                ident = threading.get_ident()
                _bound.setdefault(ident, []).append(traveller)
                try:
                    run()
                finally:
                    _unbind(ident, traveller)

            self.run = bound_run  # type: ignore[method-assign]
        real_start(self)

    threading.Thread.start = start  # type: ignore[method-assign]


def _patch_condition_wait() -> None:
    real_wait = threading.Condition.wait
    REAL["Condition.wait"] = real_wait

    def wait(self: threading.Condition, timeout: float | None = None) -> bool:
        clock = _current()
        if clock is None or timeout is None:
            return real_wait(self, timeout)
        if real_wait(self, min(timeout, REAL_WAIT_SECONDS)):
            return True
        _wait_out(clock, timeout)  # the wait ran out: the whole timeout, in virtual time
        return False

    threading.Condition.wait = wait  # type: ignore[method-assign]


def _patch_selectors() -> None:
    """An event loop waits for I/O or its next timer in its selector's `select`."""
    for name in ("SelectSelector", "PollSelector", "EpollSelector", "KqueueSelector"):
        cls = getattr(selectors, name, None)
        if cls is None:
            continue
        real_select = cls.select
        REAL[f"{name}.select"] = real_select

        def select(
            self: selectors.BaseSelector,
            timeout: float | None = None,
            _real: Callable[..., Any] = real_select,
        ) -> list[tuple[selectors.SelectorKey, int]]:
            clock = _current()
            if clock is None or timeout is None or timeout <= 0:
                return _real(self, timeout)  # type: ignore[no-any-return]
            ready = _real(self, 0)
            if ready:
                return ready  # type: ignore[no-any-return]
            if not _only_wake_up_pipe(self):  # real I/O may end the wait
                ready = _real(self, min(timeout, REAL_WAIT_SECONDS))
                if ready:
                    return ready  # type: ignore[no-any-return]
            _wait_out(clock, timeout)
            return []

        cls.select = select


def _only_wake_up_pipe(selector: selectors.BaseSelector) -> bool:
    """An asyncio loop watching nothing but its own wake-up pipe: only a timer can be
    next, so waiting for it is pure waiting."""
    for key in selector.get_map().values():
        handles = key.data if isinstance(key.data, tuple) else (None,)
        callback = getattr(handles[0], "_callback", None)
        if getattr(callback, "__name__", None) != "_read_from_self":
            return False
    return True


def _unbind(ident: int, traveller: _Traveller) -> None:
    bindings = _bound.get(ident, [])
    if bindings and bindings[-1] is traveller:
        bindings.pop()
    if not bindings:
        _bound.pop(ident, None)


@contextmanager
def bound(clock: HandlerClock, request_id: str = "") -> Iterator[None]:
    """This thread (and every thread it starts meanwhile) reads and waits on `clock`,
    for the invocation `request_id`."""
    install()
    traveller = _Traveller(clock, request_id)
    ident = threading.get_ident()
    _bound.setdefault(ident, []).append(traveller)
    try:
        yield
    finally:
        _unbind(ident, traveller)


@contextmanager
def unbound() -> Iterator[None]:
    """The harness's own work on a bound thread (runs that are due while the handler
    waits): real clocks for its length, the binding back afterwards."""
    ident = threading.get_ident()
    saved = _bound.pop(ident, None)
    try:
        yield
    finally:
        if saved:
            _bound[ident] = saved


def with_real_clocks(function: Callable[[datetime], None]) -> Callable[[datetime], None]:
    """`function`, run with the real clocks whatever thread calls it: the harness's own
    work on a handler's thread (the wait hook that runs other executions meanwhile)."""

    def call(wake: datetime) -> None:
        with unbound():
            function(wake)

    return call


def current_request_id() -> str | None:
    """The request id of the invocation this thread works for ("" during init), or None
    on a thread that is not the function's."""
    traveller = _current()
    return traveller.request_id if traveller is not None else None
