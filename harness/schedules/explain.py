"""Plain-English descriptions of schedules, for `harness schedule explain`."""

from __future__ import annotations

from itertools import pairwise

from .cron import BOUNDS, DAYS, CronExpression
from .rate import AtExpression, RateExpression
from .schedule import Schedule

_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def describe(schedule: Schedule) -> str:
    expression = schedule.expression
    zone = schedule.zone.key
    if isinstance(expression, RateExpression):
        unit = expression.unit if expression.value == 1 else expression.unit + "s"
        origin = (
            "its StartDate"
            if schedule.start_date
            else "creation"
            if schedule.kind == "scheduler"
            else "one period after the rule's creation"
        )
        return f"Every {expression.value} {unit}, counted from {origin}."
    if isinstance(expression, AtExpression):
        return f"Once, at {expression.wall:%Y-%m-%d %H:%M:%S} ({zone})."
    return _describe_cron(expression, zone)


def _describe_cron(cron: CronExpression, zone: str) -> str:
    parts = [_time_of_day(cron), _days(cron)]
    if len(cron.months) != 12:
        parts.append("in " + _join([_MONTH_NAMES[m - 1] for m in sorted(cron.months)]))
    low, high = BOUNDS["year"]
    if len(cron.years) != high - low + 1:
        parts.append("in " + _join(_ranges(sorted(cron.years))))
    return " ".join(parts) + f" ({zone})."


def _time_of_day(cron: CronExpression) -> str:
    hours, minutes = cron.hours, cron.minutes
    if len(hours) * len(minutes) <= 4:
        times = [f"{h:02d}:{m:02d}" for h in hours for m in minutes]
        return "At " + _join(times) + ","
    step = minutes[1] - minutes[0] if len(minutes) > 1 else 0
    if len(minutes) == 60:
        minute_text = "every minute"
    elif len(minutes) > 2 and _evenly_spaced(minutes) and minutes[-1] + step > 59:
        minute_text = f"every {step} minutes from minute {minutes[0]}"
    else:
        minute_text = "at minute " + _join(_ranges(list(minutes)))
    hour_text = "" if len(hours) == 24 else " during hours " + _join(_ranges(list(hours)))
    return f"{minute_text[0].upper()}{minute_text[1:]}{hour_text},"


def _days(cron: CronExpression) -> str:
    dom, dow = cron.day_of_month, cron.day_of_week
    if dom is not None:
        if dom.last:
            return "on the last day of the month"
        if dom.last_offset is not None:
            return f"on the day {dom.last_offset} day(s) before the last day of the month"
        if dom.last_weekday:
            return "on the last weekday of the month"
        if dom.nearest_weekday is not None:
            return f"on the weekday nearest day {dom.nearest_weekday} of the month"
        if len(dom.days) == 31:
            return "every day"
        return "on day " + _join(_ranges(sorted(dom.days))) + " of the month"
    assert dow is not None
    if dow.last_of is not None:
        return f"on the last {_DAY_NAMES[dow.last_of - 1]} of the month"
    if dow.nth is not None:
        weekday, k = dow.nth
        return f"on the {_ORDINALS[k - 1]} {_DAY_NAMES[weekday - 1]} of the month"
    if len(dow.days) == 7:
        return "every day"
    names = [DAYS[d - 1] for d in sorted(dow.days)]
    return "on " + _join([_DAY_NAMES[DAYS.index(n)] for n in names])


def _evenly_spaced(values: tuple[int, ...]) -> bool:
    steps = {b - a for a, b in pairwise(values)}
    return len(steps) == 1


def _ranges(values: list[int]) -> list[str]:
    out: list[str] = []
    start = prev = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return out


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
