"""What virtual time costs a handler: a clock read and a sleep, side by side with the
real ones, in one run.

Each call is timed on a thread bound to a virtual clock (what a handler's thread is
during an invocation) and on an unbound thread of the same process after the patches
are in (what the embedded AWS, the mock API and the harness see), against the real
function before anything was patched.

Usage: .venv/bin/python bench/bench_virtual_time.py [--calls 200000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from harness.clock import DeadlineClock, VirtualClock
from harness.runtime import virtual_time

START = datetime(2026, 1, 1, tzinfo=UTC)
REAL_PERF_COUNTER = time.perf_counter  # taken before the patches, for timing


def per_call(function: Callable[[], object], calls: int) -> float:
    """Seconds a call, the best of three rounds."""
    best = float("inf")
    for _ in range(3):
        started = REAL_PERF_COUNTER()
        for _ in range(calls):
            function()
        best = min(best, (REAL_PERF_COUNTER() - started) / calls)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000)
    calls = parser.parse_args().calls
    cases: dict[str, Callable[[], object]] = {
        "time.time()": lambda: time.time(),
        "time.monotonic()": lambda: time.monotonic(),
        "datetime.now(UTC)": lambda: datetime.now(UTC),
    }
    real = {name: per_call(f, calls) for name, f in cases.items()}
    real_sleep = per_call(lambda: time.sleep(0), calls // 10)

    virtual_time.install()
    unbound = {name: per_call(f, calls) for name, f in cases.items()}
    seam = DeadlineClock(VirtualClock(START))
    with virtual_time.bound(seam):
        bound = {name: per_call(f, calls) for name, f in cases.items()}
        virtual_sleep = per_call(lambda: time.sleep(1.0), calls // 10)
        virtual_now = seam.now()

    print(f"virtual time in a handler, {calls:,} calls each (best of 3), per call")
    print(f"  {'call':<22}{'real':>10}{'unbound':>12}{'virtual':>12}{'virtual/real':>14}")
    for name in cases:
        ratio = bound[name] / real[name]
        print(
            f"  {name:<22}{real[name] * 1e9:>8.0f}ns{unbound[name] * 1e9:>10.0f}ns"
            f"{bound[name] * 1e9:>10.0f}ns{ratio:>13.1f}x"
        )
    print(
        f"  {'time.sleep':<22}{real_sleep * 1e9:>8.0f}ns{'':>12}{virtual_sleep * 1e9:>10.0f}ns"
        f"{virtual_sleep / real_sleep:>13.1f}x   (real: sleep(0); virtual: sleep(1.0))"
    )
    slept = (virtual_now - START).total_seconds()
    print(f"  the virtual sleeps moved the clock {slept:,.0f} s; none waited")


if __name__ == "__main__":
    main()
