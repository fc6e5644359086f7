"""Property test: next_after agrees with a brute-force evaluator written here.

The oracle shares no code with harness/schedules: it expands each field with its own
membership test, works out L, W, # from their definitions, and walks every day and
every hour and minute of the day in order.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.schedules import Schedule

NAMES = {
    "month": ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    "dow": ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
}
RANGE = {"min": (0, 59), "hour": (0, 23), "dom": (1, 31), "month": (1, 12), "dow": (1, 7)}


# -- the oracle ---------------------------------------------------------------------------
def member(field: str, text: str, value: int) -> bool:
    low, high = RANGE.get(field, (1970, 2199))
    size = high - low + 1

    def number(token: str) -> int:
        names = NAMES.get(field, [])
        return names.index(token) + 1 if token in names else int(token)

    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (number(x) for x in base.split("-"))
        else:
            first = number(base)
            last = high if step_text else first
        distance = (value - first) % size
        if distance <= (last - first) % size and distance % step == 0:
            return True
    return False


def day_matches(dom: str, dow: str, day: date) -> bool:
    length = calendar.monthrange(day.year, day.month)[1]
    weekday = (day.weekday() + 1) % 7 + 1  # 1 = Sunday
    if dom != "?":
        if dom == "L":
            return day.day == length
        if dom.startswith("L-"):
            return day.day == length - int(dom[2:])
        if dom.endswith("W"):
            target = length if dom == "LW" else int(dom[:-1])
            if target > length:
                return False
            # the weekday closest to the target inside the month; ties cannot happen
            candidates = [
                d for d in range(1, length + 1) if date(day.year, day.month, d).weekday() < 5
            ]
            return day.day == min(candidates, key=lambda d: (abs(d - target), d))
        return member("dom", dom, day.day)
    if dow == "L":
        return weekday == 7
    if "#" in dow:
        wanted, k = dow.split("#")
        return member("dow", wanted, weekday) and (day.day + 6) // 7 == int(k)
    if dow.endswith("L"):
        return member("dow", dow[:-1], weekday) and day.day > length - 7
    return member("dow", dow, weekday)


def oracle(
    fields: list[str], after: datetime, zone: ZoneInfo, horizon_days: int
) -> datetime | None:
    minute, hour, dom, month, dow, year = fields
    local_start = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(horizon_days):
        day = local_start + timedelta(days=offset)
        if not (member("year", year, day.year) and member("month", month, day.month)):
            continue
        if not day_matches(dom, dow, day):
            continue
        for h in range(24):
            if not member("hour", hour, h):
                continue
            for m in range(60):
                if not member("min", minute, m):
                    continue
                wall = datetime(day.year, day.month, day.day, h, m)
                first = wall.replace(tzinfo=zone, fold=0)
                instant = first.astimezone(UTC)
                if instant.astimezone(zone).replace(tzinfo=None) != wall:
                    continue  # skipped by a spring-forward shift
                if instant > after:
                    return instant
    return None


# -- generated expressions ------------------------------------------------------------------
def simple_field(field: str) -> st.SearchStrategy[str]:
    low, high = RANGE[field]
    value = st.integers(low, high).map(str)
    if field in NAMES:
        value = value | st.integers(low, high).map(lambda v: NAMES[field][v - 1])
    ranged = st.tuples(value, value).map("-".join)
    stepped = (
        st.tuples(
            st.sampled_from(["*", *map(str, range(low, high + 1))]) | ranged,
            st.integers(1, high - low),
        ).map(lambda pair: f"{pair[0]}/{pair[1]}")
        if field != "dow"
        else ranged
    )
    item = value | ranged | stepped
    return st.just("*") | st.lists(item, min_size=1, max_size=3).map(",".join)


dom_field = simple_field("dom") | st.sampled_from(
    ["L", "LW", "1W", "15W", "30W", "31W", "L-1", "L-3", "L-15"]
)
dow_field = (
    simple_field("dow")
    | st.just("L")
    | st.integers(1, 7).map(lambda d: f"{d}L")
    | st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda p: f"{p[0]}#{p[1]}")
)
days = st.one_of(
    st.tuples(dom_field, st.just("?")),
    st.tuples(st.just("?"), dow_field),
)
years = st.sampled_from(["*", "2026-2028", "2027", "2026,2028", "*/2"])
expressions = st.tuples(
    simple_field("min"), simple_field("hour"), days, simple_field("month"), years
).map(lambda t: [t[0], t[1], t[2][0], t[3], t[2][1], t[4]])
instants = st.integers(0, 2 * 365 * 24 * 60).map(
    lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=17)
)


def check(fields: list[str], after: datetime, tz: str) -> None:
    schedule = Schedule.parse(f"cron({' '.join(fields)})", timezone=tz, created=after)
    expected = oracle(fields, after, ZoneInfo(tz), horizon_days=3 * 366)
    got = schedule.next_after(after)
    if expected is None:
        # the oracle looks three years ahead; beyond that only years 2199 can fire
        assert got is None or got > after + timedelta(days=3 * 365), (fields, after, got)
    else:
        assert got == expected, (fields, after, got, expected)


@settings(max_examples=1500, deadline=None)
@given(fields=expressions, after=instants)
def test_utc_rules_match_the_oracle(fields: list[str], after: datetime) -> None:
    check(fields, after, "UTC")


@settings(max_examples=600, deadline=None)
@given(
    fields=expressions,
    after=instants,
    tz=st.sampled_from(["Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe"]),
)
def test_zoned_schedules_match_the_oracle(fields: list[str], after: datetime, tz: str) -> None:
    check(fields, after, tz)
