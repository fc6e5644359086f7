"""AWS schedule expressions as APScheduler triggers.

`cron(...)` maps field by field onto APScheduler's CronTrigger (day-of-week 1-7 = SUN-SAT
as AWS numbers them, `?` as "any"); `rate(...)` is an IntervalTrigger anchored at the
rule's creation. The harness iterates the trigger on its virtual clock, and the same
object can be handed to a real APScheduler scheduler.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .errors import BadInput

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_RANGES = {
    "minutes": (0, 59),
    "hours": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (1, 7),
    "year": (1970, 2199),
}
_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-z]+)\s*\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_schedule(expression: str, *, timezone: str = "UTC", anchor: datetime) -> BaseTrigger:
    """An APScheduler trigger for an AWS `cron(...)` or `rate(...)` expression."""
    zone = _zone(timezone)
    text = expression.strip()
    if text.startswith("cron(") and text.endswith(")"):
        return _cron(text[5:-1], zone)
    if text.startswith("rate("):
        return _rate(text, anchor, zone)
    raise BadInput(
        f"schedule expression {expression!r} is not valid: expected cron(...) or rate(...)"
    )


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire instants t with start <= t < end, in order."""
    previous: datetime | None = None
    now = start
    while True:
        fire: datetime | None = trigger.get_next_fire_time(previous, now)
        if fire is None or fire >= end:
            return
        yield fire
        previous, now = fire, fire + timedelta(microseconds=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"time zone {name!r} is not an IANA time zone name") from None


def _cron(body: str, zone: ZoneInfo) -> CronTrigger:
    fields = body.split()
    if len(fields) != 6:
        raise BadInput(
            f"cron expression needs 6 fields (minutes hours day-of-month month "
            f"day-of-week year), got {len(fields)}"
        )
    values = dict(zip(_FIELDS, fields, strict=True))
    dom, dow = values["day-of-month"], values["day-of-week"]
    if (dom == "?") == (dow == "?"):
        raise BadInput("day-of-month, day-of-week: exactly one of the two must be '?'")
    for name, value in values.items():
        if "?" in value and (name not in ("day-of-month", "day-of-week") or value != "?"):
            raise BadInput(f"{name}: '?' is only allowed alone in day-of-month or day-of-week")
        _check_field(name, value)
    return CronTrigger(
        year=values["year"],
        month=values["month"].lower(),
        day="*" if dom == "?" else dom,
        day_of_week="*" if dow == "?" else _aws_days_to_names(dow),
        hour=values["hours"],
        minute=values["minutes"],
        timezone=zone,
    )


def _check_field(name: str, value: str) -> None:
    if value in ("*", "?"):
        return
    low, high = _RANGES[name]
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise BadInput(f"{name}: step {step!r} must be a positive integer")
        for bound in base.split("-") if base != "*" else []:
            if name == "month" and bound.upper()[:3] in _MONTHS:
                continue
            if name == "day-of-week" and bound.upper() in _DAY_NAMES:
                continue
            if not bound.isdigit():
                raise BadInput(f"{name}: {bound!r} is not supported here")
            if not low <= int(bound) <= high:
                hint = " (1 = SUN)" if name == "day-of-week" else ""
                raise BadInput(f"{name}: {bound} is out of range {low}-{high}{hint}")


def _aws_days_to_names(value: str) -> str:
    """AWS numbers days 1-7 from Sunday; APScheduler reads names unambiguously."""
    return re.sub(r"\d", lambda m: _DAY_NAMES[int(m.group()) - 1], value).lower()


def _rate(text: str, anchor: datetime, zone: ZoneInfo) -> IntervalTrigger:
    match = _RATE.match(text)
    if not match:
        raise BadInput(f"rate expression {text!r} is not valid: expected rate(value unit)")
    value, unit = int(match.group(1)), match.group(2)
    singular = unit.rstrip("s") if unit.endswith("s") else unit
    if singular not in _UNITS:
        raise BadInput(f"rate unit {unit!r} is not one of minute(s), hour(s), day(s)")
    if value < 1:
        raise BadInput("rate value must be a positive integer")
    if (value == 1) != (unit == singular):
        raise BadInput(f"rate unit {unit!r}: use the singular for 1 and the plural otherwise")
    # A rate rule's first fire is one period after its creation (the anchor).
    period = timedelta(seconds=value * _UNITS[singular])
    return IntervalTrigger(
        seconds=period.total_seconds(), start_date=anchor + period, timezone=zone
    )
