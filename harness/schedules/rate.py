"""`rate(value unit)` and `at(yyyy-mm-ddThh:mm:ss)` expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import ScheduleError

_RATE = re.compile(r"^ *(\S+) +(\S+) *$")
_DIGITS = re.compile(r"^[0-9]+$")
_MAX_VALUE = 1_000_000  # minutes, hours or days: far beyond any useful schedule
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})$")


@dataclass(frozen=True)
class RateExpression:
    text: str
    value: int
    unit: str  # singular
    period: timedelta

    @classmethod
    def parse(cls, body: str, *, scheduler: bool) -> RateExpression:
        match = _RATE.match(body)
        if not match:
            raise ScheduleError("rate: expected rate(value unit), e.g. rate(5 minutes)")
        value_text, unit = match.group(1), match.group(2)
        if not _DIGITS.match(value_text) or int(value_text) == 0:
            raise ScheduleError(f"rate: value {value_text!r} must be a positive integer")
        value = int(value_text)
        if value > _MAX_VALUE:
            raise ScheduleError(f"rate: value {value} is too large (at most {_MAX_VALUE})")
        singular = unit[:-1] if unit.endswith("s") else unit
        if singular not in _UNITS:
            raise ScheduleError(f"rate: unit {unit!r} is not minute(s), hour(s) or day(s)")
        # Rules want the singular for 1 and the plural otherwise; Scheduler takes both.
        if not scheduler and (value == 1) != (unit == singular):
            wanted = singular if value == 1 else singular + "s"
            raise ScheduleError(f"rate: {value} {unit} must be written {value} {wanted}")
        return cls(
            f"rate({value} {unit})", value, singular, timedelta(seconds=value * _UNITS[singular])
        )

    def next_after(self, t: datetime, anchor: datetime) -> datetime:
        """Fires at anchor + k * period (k >= 0 at a StartDate, k >= 1 at a rule's
        creation: the caller passes the first fire as `anchor`), strictly after `t`.
        Periods are absolute: rate(1 day) is 24 hours, across DST changes too."""
        if t < anchor:
            return anchor
        elapsed = (t - anchor) // self.period
        return anchor + (elapsed + 1) * self.period


@dataclass(frozen=True)
class AtExpression:
    text: str
    wall: datetime  # naive, read in the schedule's time zone

    @classmethod
    def parse(cls, body: str) -> AtExpression:
        match = _AT.match(body.strip())
        if not match:
            raise ScheduleError(f"at: {body.strip()!r} is not yyyy-mm-ddThh:mm:ss")
        try:
            year, month, day, hour, minute, second = (int(part) for part in match.groups())
            wall = datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise ScheduleError(
                f"at: {body.strip()!r} is not a valid date and time: {exc}"
            ) from None
        return cls(f"at({body.strip()})", wall)

    def instant(self, zone: ZoneInfo) -> datetime:
        """A wall time skipped by a spring-forward shift is read with the offset in force
        before the shift; a repeated one at its first occurrence."""
        return self.wall.replace(tzinfo=zone, fold=0).astimezone(ZoneInfo("UTC"))
