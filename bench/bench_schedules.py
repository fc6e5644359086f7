"""Benchmark for schedule evaluation (issue: exact AWS schedule expressions).

Computes a year of successive fires of `cron(0/15 * * * ? *)` (35,040 instants) with
this project's evaluator and with APScheduler's own CronTrigger on the equivalent
expression, in the same run, and prints fires per second side by side (target: the
year in under 1 s, and not slower than APScheduler). A zoned schedule is timed too;
there the counts differ by design: AWS fires a repeated fall-back wall time once,
APScheduler twice.

Usage: .venv/bin/python bench/bench_schedules.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from harness.schedules import Schedule

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=365)
TICK = timedelta(microseconds=1)


def year_of_fires(next_after: Callable[[datetime], datetime | None]) -> tuple[int, float]:
    started = time.perf_counter()
    count, t = 0, START - TICK
    while True:
        fire = next_after(t)
        if fire is None or fire >= END:
            break
        # (compared in UTC: two datetimes in one zone compare by wall time, fold ignored)
        if fire.astimezone(UTC) <= t.astimezone(UTC):  # it would loop for ever
            print(f"  (stalled at {t.isoformat()}: next fire {fire.isoformat()})")
            break
        count, t = count + 1, fire
    return count, time.perf_counter() - started


def best_of(runs: int, measure: Callable[[], tuple[int, float]]) -> tuple[int, float]:
    results = [measure() for _ in range(runs)]
    return results[0][0], min(seconds for _, seconds in results)


def main() -> int:
    ours = Schedule.parse("cron(0/15 * * * ? *)", created=START)
    theirs = CronTrigger(minute="0/15", timezone=UTC)
    zoned = Schedule.parse("cron(0/15 * * * ? *)", timezone="Europe/Berlin", created=START)
    theirs_zoned = CronTrigger(minute="0/15", timezone=ZoneInfo("Europe/Berlin"))

    rows = [
        ("harness Schedule, UTC", best_of(3, lambda: year_of_fires(ours.next_after))),
        (
            "APScheduler CronTrigger, UTC",
            best_of(3, lambda: year_of_fires(lambda t: theirs.get_next_fire_time(t, t + TICK))),
        ),
        ("harness Schedule, Europe/Berlin", best_of(3, lambda: year_of_fires(zoned.next_after))),
        (
            "APScheduler CronTrigger, Europe/Berlin",
            best_of(
                3, lambda: year_of_fires(lambda t: theirs_zoned.get_next_fire_time(t, t + TICK))
            ),
        ),
    ]
    print("a year of cron(0/15 * * * ? *), successive next-fire calls (best of 3)")
    for name, (count, seconds) in rows:
        print(
            f"  {name:40s} {count:6d} fires in {seconds:6.3f} s = {count / seconds:10,.0f} fires/s"
        )
    ratio = rows[1][1][1] / rows[0][1][1]
    zoned_ratio = rows[3][1][1] / rows[2][1][1]
    print(f"speed against APScheduler: UTC x{ratio:.2f}, Europe/Berlin x{zoned_ratio:.2f}")
    print("  (target: at least x1.00)")
    print(f"UTC year under 1 s: {'yes' if rows[0][1][1] < 1 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
