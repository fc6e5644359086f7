"""AWS cron expressions: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`.

Parsed once into sets and flags; `next_after` then walks days (skipping whole months and
years that cannot match) and picks the first hour and minute with a bisect, so a year of
15-minute fires costs a few microseconds each.

Semantics follow the EventBridge and Scheduler documentation, with Quartz where AWS says
it follows Quartz: day-of-week 1-7 = SUN-SAT; `L` alone in day-of-week is Saturday;
`nL` is the last weekday n of the month; `n#k` the k-th weekday n; `L`, `L-n`, `nW`, `LW`
in day-of-month; `nW` never crosses into another month (1W on a Saturday is Monday the
3rd, 31W on a Sunday is Friday the 29th); ranges may wrap around (`20-2`, `FRI-MON`,
`NOV-FEB`); steps apply to values, ranges and `*`.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import ScheduleError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
BOUNDS = {
    "minutes": (0, 59),
    "hours": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (1, 7),
    "year": (1970, 2199),
}
_NUMBER = re.compile(r"^[0-9]+$")  # ASCII only: str.isdigit() and \d take other scripts
_LAST_OFFSET = re.compile(r"^L-([0-9]+)$")
_WEEKDAY_NEAREST = re.compile(r"^([0-9]+)W$")
_LAST_WEEKDAY_OF = re.compile(r"^([0-9A-Z]+)L$")
_NTH_WEEKDAY = re.compile(r"^([0-9A-Z]+)#([0-9]+)$")
_FIELD_SEPARATOR = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class DayOfMonth:
    days: frozenset[int] = frozenset()
    last: bool = False  # L
    last_offset: int | None = None  # L-n
    nearest_weekday: int | None = None  # nW
    last_weekday: bool = False  # LW

    def matches(self, day: date, length: int) -> bool:
        if self.last:
            return day.day == length
        if self.last_offset is not None:
            return day.day == length - self.last_offset
        if self.last_weekday:
            return day.day == _nearest_weekday(day.year, day.month, length, length)
        if self.nearest_weekday is not None:
            return day.day == _nearest_weekday(day.year, day.month, self.nearest_weekday, length)
        return day.day in self.days


@dataclass(frozen=True)
class DayOfWeek:
    days: frozenset[int] = frozenset()  # 1 = SUN ... 7 = SAT
    last_of: int | None = None  # nL
    nth: tuple[int, int] | None = None  # (weekday, k) for n#k

    def matches(self, day: date, length: int) -> bool:
        weekday = aws_weekday(day)
        if self.last_of is not None:
            return weekday == self.last_of and day.day + 7 > length
        if self.nth is not None:
            wanted, k = self.nth
            return weekday == wanted and (day.day - 1) // 7 + 1 == k
        return weekday in self.days


def aws_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday, as AWS numbers them."""
    return day.isoweekday() % 7 + 1


def _nearest_weekday(year: int, month: int, target: int, length: int) -> int | None:
    """The weekday (Mon-Fri) nearest `target` within the month; None if there is no
    day `target` in this month (31W in April never fires)."""
    if target > length:
        return None
    weekday = date(year, month, target).isoweekday()  # 1 = Mon ... 7 = Sun
    if weekday == 6:  # Saturday: Friday before, or Monday after on the 1st
        return target - 1 if target > 1 else target + 2
    if weekday == 7:  # Sunday: Monday after, or Friday before on the last day
        return target + 1 if target < length else target - 2
    return target


@dataclass(frozen=True)
class CronExpression:
    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: DayOfMonth | None  # None: `?`
    months: frozenset[int]
    day_of_week: DayOfWeek | None  # None: `?`
    years: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        fields = [f for f in _FIELD_SEPARATOR.split(text.strip()) if f]
        if len(fields) != 6:
            raise ScheduleError(
                f"cron expression needs 6 fields (minutes hours day-of-month month "
                f"day-of-week year), got {len(fields)}"
            )
        values = dict(zip(FIELDS, (f.upper() for f in fields), strict=True))
        dom_text, dow_text = values["day-of-month"], values["day-of-week"]
        if (dom_text == "?") == (dow_text == "?"):
            raise ScheduleError(
                "day-of-month, day-of-week: exactly one of the two must be '?' "
                "(AWS does not combine them)"
            )
        for name in ("minutes", "hours", "month", "year"):
            if "?" in values[name]:
                raise ScheduleError(f"{name}: '?' is only allowed in day-of-month or day-of-week")
        return cls(
            text=f"cron({' '.join(fields)})",
            minutes=tuple(sorted(_values("minutes", values["minutes"]))),
            hours=tuple(sorted(_values("hours", values["hours"]))),
            day_of_month=None if dom_text == "?" else _day_of_month(dom_text),
            months=frozenset(_values("month", values["month"])),
            day_of_week=None if dow_text == "?" else _day_of_week(dow_text),
            years=frozenset(_values("year", values["year"])),
        )

    # -- evaluation ---------------------------------------------------------------
    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        length = calendar.monthrange(day.year, day.month)[1]
        if self.day_of_month is not None:
            return self.day_of_month.matches(day, length)
        assert self.day_of_week is not None
        return self.day_of_week.matches(day, length)

    def next_local(self, after: datetime) -> datetime | None:
        """First naive wall time strictly after the naive wall time `after`."""
        start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day, clock = start.date(), (start.hour, start.minute)
        last_year = max(self.years)
        while day.year <= last_year:
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                clock = (0, 0)
                continue
            if day.month not in self.months:
                day = _first_of_next_month(day)
                clock = (0, 0)
                continue
            if self.matches_day(day):
                found = self._first_time_at_or_after(clock)
                if found is not None:
                    return datetime.combine(day, time(*found))
            day += timedelta(days=1)
            clock = (0, 0)
        return None

    def _first_time_at_or_after(self, clock: tuple[int, int]) -> tuple[int, int] | None:
        hour, minute = clock
        h = bisect_left(self.hours, hour)
        if h < len(self.hours) and self.hours[h] == hour:
            m = bisect_left(self.minutes, minute)
            if m < len(self.minutes):
                return hour, self.minutes[m]
            h += 1
        if h < len(self.hours):
            return self.hours[h], self.minutes[0]
        return None

    def times_on(self, day: date) -> list[tuple[int, int]]:
        """Every (hour, minute) the expression fires at on `day` (empty if none)."""
        if not self.matches_day(day):
            return []
        return [(h, m) for h in self.hours for m in self.minutes]

    def next_after(self, t: datetime, zone: ZoneInfo) -> datetime | None:
        """First fire strictly after the aware instant `t`, reading wall times in `zone`:
        a wall time skipped by a spring-forward shift does not fire; one repeated by a
        fall-back shift fires once, at its first occurrence."""
        local = t.astimezone(zone).replace(tzinfo=None)
        # In a repeated hour the wall clock goes back: start one hour earlier so the
        # first occurrence is not skipped, and rely on the `> t` check below.
        probe = local - timedelta(hours=1) if _is_ambiguous(local, zone) else local
        while True:
            wall = self.next_local(probe)
            if wall is None:
                return None
            instant = _first_occurrence(wall, zone)
            if instant is not None and instant > t:
                return instant
            probe = wall


UTC = ZoneInfo("UTC")


def _is_ambiguous(wall: datetime, zone: ZoneInfo) -> bool:
    if zone is UTC:
        return False
    return (
        wall.replace(tzinfo=zone, fold=0).utcoffset()
        != wall.replace(tzinfo=zone, fold=1).utcoffset()
    )


def _first_occurrence(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant of a wall time's first occurrence; None if the wall time does not
    exist (skipped by a spring-forward shift)."""
    aware = wall.replace(tzinfo=zone, fold=0)
    if zone is UTC:
        return aware
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


# -- field parsing ---------------------------------------------------------------------
def _number(field: str, token: str) -> int:
    low, high = BOUNDS[field]
    names = MONTHS if field == "month" else DAYS if field == "day-of-week" else ()
    if token in names:
        return names.index(token) + 1
    if not _NUMBER.match(token):
        allowed = {"month": " or JAN-DEC", "day-of-week": " or SUN-SAT"}.get(field, "")
        raise ScheduleError(f"{field}: {token!r} is not a number{allowed}")
    value = int(token)
    if not low <= value <= high:
        hint = " (1 = SUN)" if field == "day-of-week" else ""
        raise ScheduleError(f"{field}: {value} is out of range {low}-{high}{hint}")
    return value


def _values(field: str, text: str) -> set[int]:
    low, high = BOUNDS[field]
    result: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ScheduleError(f"{field}: empty list item in {text!r}")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if field == "day-of-week":
                raise ScheduleError("day-of-week: '/' is not allowed")
            if not _NUMBER.match(step_text) or int(step_text) == 0:
                raise ScheduleError(f"{field}: step {step_text!r} must be a positive integer")
            step = int(step_text)
            if step >= high - low + 1:  # */60 in minutes is rejected by AWS
                raise ScheduleError(f"{field}: step {step} is larger than the range {low}-{high}")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first, last = _number(field, first_text), _number(field, last_text)
            if field == "year" and last < first:
                raise ScheduleError(f"year: range {first}-{last} runs backwards")
        else:
            first = _number(field, base)
            # `5/15` runs from 5 to the top of the range; a bare value is just itself.
            last = high if slash else first
        result.update(_walk(first, last, step, low, high))
    return result


def _walk(first: int, last: int, step: int, low: int, high: int) -> list[int]:
    """first, first+step, ... up to last; a range whose end is below its start wraps
    past the top of the field (hours 20-2 = 20..23, 0..2)."""
    span = (last - first) % (high - low + 1)
    return [low + (first - low + i) % (high - low + 1) for i in range(0, span + 1, step)]


def _day_of_month(text: str) -> DayOfMonth:
    if text == "L":
        return DayOfMonth(last=True)
    if text == "LW":
        return DayOfMonth(last_weekday=True)
    if match := _LAST_OFFSET.match(text):
        offset = int(match.group(1))
        if not 1 <= offset <= 30:
            raise ScheduleError(f"day-of-month: L-{offset} must be L-1 to L-30")
        return DayOfMonth(last_offset=offset)
    if match := _WEEKDAY_NEAREST.match(text):
        return DayOfMonth(nearest_weekday=_number("day-of-month", match.group(1)))
    if "L" in text or "W" in text:
        raise ScheduleError(
            f"day-of-month: {text!r}: L, L-n, nW and LW must stand alone in the field"
        )
    if "#" in text:
        raise ScheduleError("day-of-month: '#' is only allowed in day-of-week")
    return DayOfMonth(days=frozenset(_values("day-of-month", text)))


def _day_of_week(text: str) -> DayOfWeek:
    if text == "L":  # Quartz: L alone is the last day of the week, Saturday
        return DayOfWeek(days=frozenset({7}))
    if match := _NTH_WEEKDAY.match(text):
        k = int(match.group(2))
        if not 1 <= k <= 5:
            raise ScheduleError(f"day-of-week: #{k} must be #1 to #5")
        return DayOfWeek(nth=(_number("day-of-week", match.group(1)), k))
    if "#" in text:
        raise ScheduleError(
            f"day-of-week: {text!r}: only one n#k expression is allowed, alone in the field"
        )
    if match := _LAST_WEEKDAY_OF.match(text):
        return DayOfWeek(last_of=_number("day-of-week", match.group(1)))
    if text.startswith("L-") or text == "LW":
        raise ScheduleError(f"day-of-week: {text!r} is only allowed in day-of-month")
    if "L" in text:  # no day name contains an L
        raise ScheduleError(f"day-of-week: {text!r}: nL must stand alone in the field")
    return DayOfWeek(days=frozenset(_values("day-of-week", text)))
