"""AWS schedule expressions: parsing, validation and exact fire instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.base import BaseTrigger

from harness.schedules import Schedule, ScheduleError, describe

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
TICK = timedelta(microseconds=1)


def fires(
    expression: str,
    *,
    after: datetime = START - TICK,
    count: int = 4,
    tz: str = "UTC",
    **kw: object,
) -> list[str]:
    schedule = Schedule.parse(expression, timezone=tz, created=START, **kw)  # type: ignore[arg-type]
    out: list[str] = []
    t: datetime | None = after
    while len(out) < count:
        assert t is not None
        t = schedule.next_after(t)
        if t is None:
            break
        out.append(t.strftime("%a %m-%d %H:%M"))
    return out


# -- the AWS documentation's examples (eb-cron-expressions, schedule-types) -------------
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 10 * * ? *)", ["Mon 03-02 10:00", "Tue 03-03 10:00"]),
        ("cron(15 12 * * ? *)", ["Mon 03-02 12:15", "Tue 03-03 12:15"]),
        ("cron(0 18 ? * MON-FRI *)", ["Mon 03-02 18:00", "Tue 03-03 18:00"]),
        ("cron(0 8 1 * ? *)", ["Wed 04-01 08:00", "Fri 05-01 08:00"]),
        ("cron(0/15 * * * ? *)", ["Mon 03-02 00:00", "Mon 03-02 00:15"]),
        ("cron(0/10 * ? * MON-FRI *)", ["Mon 03-02 00:00", "Mon 03-02 00:10"]),
        ("cron(0/5 8-17 ? * MON-FRI *)", ["Mon 03-02 08:00", "Mon 03-02 08:05"]),
        ("cron(0 12 * * ? *)", ["Mon 03-02 12:00", "Tue 03-03 12:00"]),
        ("cron(5,35 14 * * ? *)", ["Mon 03-02 14:05", "Mon 03-02 14:35"]),
        ("cron(15 10 ? * 6L 2026-2027)", ["Fri 03-27 10:15", "Fri 04-24 10:15"]),
        ("cron(0 9 ? * 2#1 *)", ["Mon 03-02 09:00", "Mon 04-06 09:00"]),
    ],
)
def test_documented_examples(expression: str, expected: list[str]) -> None:
    assert fires(expression, count=2) == expected


def test_the_wrap_around_documented_example_fires_field_by_field() -> None:
    # Hours 20-2 = 20..23 and 0..2 on MON-FRI by calendar day (the doc's prose says 10 pm).
    got = fires("cron(0/30 20-2 ? * MON-FRI *)", count=7)
    assert got == [
        "Mon 03-02 00:00",
        "Mon 03-02 00:30",
        "Mon 03-02 01:00",
        "Mon 03-02 01:30",
        "Mon 03-02 02:00",
        "Mon 03-02 02:30",
        "Mon 03-02 20:00",
    ]
    friday_night = fires(
        "cron(0/30 20-2 ? * MON-FRI *)", after=datetime(2026, 3, 6, 23, 59, tzinfo=UTC), count=1
    )
    assert friday_night == ["Mon 03-09 00:00"]  # no Saturday small hours


def test_a_finished_year_range_never_fires() -> None:
    assert fires("cron(15 10 ? * 6L 2019-2022)") == []


# -- field syntax ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "cron(0 0 ? * FRI-MON *)",
            ["Mon 03-02 00:00", "Fri 03-06 00:00", "Sat 03-07 00:00", "Sun 03-08 00:00"],
        ),
        (
            "cron(0 0 1 NOV-FEB ? *)",
            ["Sun 11-01 00:00", "Tue 12-01 00:00", "Fri 01-01 00:00", "Mon 02-01 00:00"],
        ),
        (
            "cron(0-30/10 9 * * ? *)",
            ["Mon 03-02 09:00", "Mon 03-02 09:10", "Mon 03-02 09:20", "Mon 03-02 09:30"],
        ),
        (
            "cron(5/20 9 * * ? *)",
            ["Mon 03-02 09:05", "Mon 03-02 09:25", "Mon 03-02 09:45", "Tue 03-03 09:05"],
        ),
        (
            "cron(0 */8 * * ? *)",
            ["Mon 03-02 00:00", "Mon 03-02 08:00", "Mon 03-02 16:00", "Tue 03-03 00:00"],
        ),
        (
            "cron(0 0 L * ? *)",
            ["Tue 03-31 00:00", "Thu 04-30 00:00", "Sun 05-31 00:00", "Tue 06-30 00:00"],
        ),
        (
            "cron(0 0 L-2 * ? *)",
            ["Sun 03-29 00:00", "Tue 04-28 00:00", "Fri 05-29 00:00", "Sun 06-28 00:00"],
        ),
        (
            "cron(0 0 LW * ? *)",
            ["Tue 03-31 00:00", "Thu 04-30 00:00", "Fri 05-29 00:00", "Tue 06-30 00:00"],
        ),
        (
            "cron(0 0 15W * ? *)",
            ["Mon 03-16 00:00", "Wed 04-15 00:00", "Fri 05-15 00:00", "Mon 06-15 00:00"],
        ),
        (
            "cron(0 0 1W * ? *)",  # Sunday 1 March: Monday the 2nd
            ["Mon 03-02 00:00", "Wed 04-01 00:00", "Fri 05-01 00:00", "Mon 06-01 00:00"],
        ),
        (
            "cron(0 0 ? * L *)",
            ["Sat 03-07 00:00", "Sat 03-14 00:00", "Sat 03-21 00:00", "Sat 03-28 00:00"],
        ),
        (
            "cron(0 0 ? * 1 *)",
            ["Sun 03-08 00:00", "Sun 03-15 00:00", "Sun 03-22 00:00", "Sun 03-29 00:00"],
        ),
        (
            "cron(0 0 ? * sun,sat *)",
            ["Sat 03-07 00:00", "Sun 03-08 00:00", "Sat 03-14 00:00", "Sun 03-15 00:00"],
        ),
        (
            "cron(0 0 29 2 ? *)",
            ["Tue 02-29 00:00", "Sun 02-29 00:00", "Fri 02-29 00:00", "Wed 02-29 00:00"],
        ),
        (
            "cron(0 0 1 1 ? 2026-2040/5)",  # 2026 has passed: 2031, 2036
            ["Wed 01-01 00:00", "Tue 01-01 00:00"],
        ),
    ],
)
def test_field_syntax(expression: str, expected: list[str]) -> None:
    assert fires(expression, count=len(expected)) == expected


def test_nearest_weekday_stays_in_its_month() -> None:
    # 2027: Jan 31 is a Sunday -> Fri 29; Jul 31 a Saturday -> Fri 30; Oct 31 a Sunday -> Fri 29.
    got = fires("cron(0 12 31W * ? 2027)", after=datetime(2027, 1, 1, tzinfo=UTC), count=7)
    assert got == [
        "Fri 01-29 12:00",
        "Wed 03-31 12:00",
        "Mon 05-31 12:00",
        "Fri 07-30 12:00",
        "Tue 08-31 12:00",
        "Fri 10-29 12:00",
        "Fri 12-31 12:00",
    ]


# -- validation -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron()", "cron expression is empty"),
        ("cron(0 2 * * *)", "6 fields"),
        ("cron(0 2 * * ? * *)", "got 7"),
        ("cron(0 2 * * * *)", "exactly one of the two must be '?'"),
        ("cron(0 2 ? * ? *)", "exactly one of the two must be '?'"),
        ("cron(0 2 ? * 0 *)", "day-of-week: 0 is out of range 1-7 (1 = SUN)"),
        ("cron(60 2 * * ? *)", "minutes: 60 is out of range 0-59"),
        ("cron(0 24 * * ? *)", "hours: 24 is out of range 0-23"),
        ("cron(0 0 32 * ? *)", "day-of-month: 32 is out of range 1-31"),
        ("cron(0 0 * 13 ? *)", "month: 13 is out of range 1-12"),
        ("cron(0 2 * * ? 2200)", "year: 2200 is out of range 1970-2199"),
        ("cron(0 2 * * ? 1969)", "year: 1969 is out of range"),
        ("cron(*/60 * * * ? *)", "minutes: step 60 is larger than the range 0-59"),
        ("cron(0/0 * * * ? *)", "minutes: step '0' must be a positive integer"),
        ("cron(? 2 * * ? *)", "minutes: '?' is only allowed"),
        ("cron(0 2 ? * 3#1,6#3 *)", "only one n#k"),
        ("cron(0 2 ? * 3#6 *)", "#6 must be #1 to #5"),
        ("cron(0 2 ? * 1-7/2 *)", "day-of-week: '/' is not allowed"),
        ("cron(0 2 L-31 * ? *)", "L-31 must be L-1 to L-30"),
        ("cron(0 2 1,L * ? *)", "must stand alone"),
        ("cron(0 2 ? * 2L,3 *)", "nL must stand alone"),
        ("cron(0 2 ? FOO * *)", "month: 'FOO' is not a number or JAN-DEC"),
        ("cron(0 2 ? * MON-XYZ *)", "day-of-week: 'XYZ' is not a number or SUN-SAT"),
        ("cron(0 2 * * ? 2030-2020)", "year: range 2030-2020 runs backwards"),
        ("cron(0,,5 2 * * ? *)", "minutes: empty list item"),
        ("rate(1 minutes)", "rate: 1 minutes must be written 1 minute"),
        ("rate(5 hour)", "rate: 5 hour must be written 5 hours"),
        ("rate(0 minutes)", "rate: value '0' must be a positive integer"),
        ("rate(-1 minutes)", "positive integer"),
        ("rate(1.5 hours)", "positive integer"),
        ("rate(5 weeks)", "unit 'weeks' is not minute(s), hour(s) or day(s)"),
        ("rate(5)", "expected rate(value unit)"),
        ("at(2026-03-01T09:00:00)", "only in EventBridge Scheduler"),
        ("every day", "expected cron(...), rate(...) or at(...)"),
        ("", "expected cron(...), rate(...) or at(...)"),
    ],
)
def test_rejections_name_the_field_and_reason(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        Schedule.parse(expression, kind="rule", created=START)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("at(2026-02-30T09:00:00)", "not a valid date"),
        ("at(2026-03-01 09:00:00)", "is not yyyy-mm-ddThh:mm:ss"),
        ("at(tomorrow)", "is not yyyy-mm-ddThh:mm:ss"),
    ],
)
def test_bad_at_expressions(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        Schedule.parse(expression, kind="scheduler", created=START)


def test_unknown_time_zone() -> None:
    with pytest.raises(ScheduleError, match="IANA"):
        Schedule.parse("cron(0 2 * * ? *)", timezone="Mars/Olympus", created=START)


def test_rules_are_utc_only() -> None:
    with pytest.raises(ScheduleError, match="UTC"):
        Schedule.parse("cron(0 2 * * ? *)", timezone="Europe/Berlin", kind="rule", created=START)


# -- rate and at ------------------------------------------------------------------------
def test_a_rule_rate_first_fires_one_period_after_creation() -> None:
    created = datetime(2026, 3, 2, 14, 23, 17, tzinfo=UTC)
    schedule = Schedule.parse("rate(1 day)", created=created)
    assert schedule.next_after(created) == datetime(2026, 3, 3, 14, 23, 17, tzinfo=UTC)


def test_a_scheduler_rate_fires_at_its_start_date_then_every_period() -> None:
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    got = fires("rate(1 minutes)", kind="scheduler", start_date=start, count=3)
    assert got == ["Mon 03-02 09:30", "Mon 03-02 09:31", "Mon 03-02 09:32"]


def test_rate_days_are_24_hours_across_dst() -> None:
    start = datetime(2026, 3, 7, 10, tzinfo=UTC)  # 02:00 in Los Angeles, PST
    got = fires("rate(1 days)", tz="America/Los_Angeles", start_date=start, count=3)
    assert got == ["Sat 03-07 10:00", "Sun 03-08 10:00", "Mon 03-09 10:00"]


def test_at_fires_once_in_its_zone_and_never_once_past() -> None:
    assert fires("at(2026-03-05T09:00:00)", tz="Europe/Berlin") == ["Thu 03-05 08:00"]
    assert fires("at(2026-03-01T09:00:00)", tz="UTC", kind="scheduler") == []


def test_start_and_end_dates_are_inclusive() -> None:
    start, end = datetime(2026, 3, 3, 2, tzinfo=UTC), datetime(2026, 3, 5, 2, tzinfo=UTC)
    got = fires("cron(0 2 * * ? *)", kind="scheduler", start_date=start, end_date=end, count=10)
    assert got == ["Tue 03-03 02:00", "Wed 03-04 02:00", "Thu 03-05 02:00"]


# -- time zones and DST -------------------------------------------------------------------
def utc_fires(expression: str, tz: str, start: datetime, days: int = 3) -> list[str]:
    schedule = Schedule.parse(expression, timezone=tz, created=start)
    return [f.strftime("%m-%d %H:%MZ") for f in schedule.fires(start, start + timedelta(days=days))]


@pytest.mark.parametrize(
    ("tz", "expression", "start", "expected"),
    [
        # spring forward: 02:30 does not exist on the day of the change
        (
            "America/Los_Angeles",
            "cron(30 2 * * ? *)",
            datetime(2026, 3, 7, tzinfo=UTC),
            ["03-07 10:30Z", "03-09 09:30Z"],
        ),
        (
            "Europe/Berlin",
            "cron(30 2 * * ? *)",
            datetime(2026, 3, 28, tzinfo=UTC),
            ["03-28 01:30Z", "03-30 00:30Z"],
        ),
        # fall back: 01:30 (Los Angeles) and 02:30 (Berlin) happen twice, fire once, first
        (
            "America/Los_Angeles",
            "cron(30 1 * * ? *)",
            datetime(2026, 10, 31, tzinfo=UTC),
            ["10-31 08:30Z", "11-01 08:30Z", "11-02 09:30Z"],
        ),
        (
            "Europe/Berlin",
            "cron(30 2 * * ? *)",
            datetime(2026, 10, 24, tzinfo=UTC),
            ["10-24 00:30Z", "10-25 00:30Z", "10-26 01:30Z"],
        ),
        # unaffected wall times keep their local time across the change
        (
            "America/Los_Angeles",
            "cron(30 1 * * ? *)",
            datetime(2026, 3, 7, tzinfo=UTC),
            ["03-07 09:30Z", "03-08 09:30Z", "03-09 08:30Z"],
        ),
    ],
)
def test_dst(tz: str, expression: str, start: datetime, expected: list[str]) -> None:
    assert utc_fires(expression, tz, start) == expected


def test_hourly_across_fall_back_fires_once_per_wall_hour() -> None:
    got = utc_fires(
        "cron(0 * * * ? *)", "America/Los_Angeles", datetime(2026, 11, 1, 7, tzinfo=UTC), days=1
    )
    # 00:00 PDT, 01:00 PDT, (01:00 PST skipped), 02:00 PST ...
    assert got[:3] == ["11-01 07:00Z", "11-01 08:00Z", "11-01 10:00Z"]
    assert len(got) == 23


def test_hourly_across_spring_forward_skips_the_missing_hour() -> None:
    got = utc_fires(
        "cron(0 * * * ? *)", "Europe/Berlin", datetime(2026, 3, 28, 23, tzinfo=UTC), days=1
    )
    assert got[:3] == ["03-28 23:00Z", "03-29 00:00Z", "03-29 01:00Z"]  # 00:00, 01:00, 03:00
    assert len(got) == 24


def test_starting_inside_a_repeated_hour_does_not_fire_its_second_occurrence() -> None:
    inside_second = datetime(2026, 11, 1, 9, 10, tzinfo=UTC)  # 01:10 PST, second time round
    schedule = Schedule.parse("cron(30 1 * * ? *)", timezone="America/Los_Angeles", created=START)
    assert schedule.next_after(inside_second) == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    inside_first = datetime(2026, 11, 1, 8, 10, tzinfo=UTC)  # 01:10 PDT
    assert schedule.next_after(inside_first) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


# -- APScheduler ------------------------------------------------------------------------
def test_the_schedule_is_an_apscheduler_trigger() -> None:
    trigger = Schedule.parse("cron(0/15 * * * ? *)", created=START).trigger()

    assert isinstance(trigger, BaseTrigger)
    now = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, now)
    assert first == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    assert trigger.get_next_fire_time(first, first) == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    on_the_dot = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, on_the_dot) == on_the_dot


def test_apscheduler_runs_it(tmp_path: object) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    trigger = Schedule.parse("cron(0 2 * * ? *)", created=START).trigger()
    job = scheduler.add_job(lambda: None, trigger=trigger)
    scheduler.start(paused=True)
    try:
        assert job.next_run_time is not None
        assert (job.next_run_time.hour, job.next_run_time.minute) == (2, 0)
    finally:
        scheduler.shutdown(wait=False)


# -- descriptions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("cron(0 2 * * ? *)", "At 02:00, every day (UTC)."),
        (
            "cron(15 10 ? * 6L 2019-2022)",
            "At 10:15, on the last Friday of the month in 2019-2022 (UTC).",
        ),
        ("cron(0 9 ? * 2#1 *)", "At 09:00, on the first Monday of the month (UTC)."),
        (
            "cron(0/5 8-17 ? * MON-FRI *)",
            "Every 5 minutes from minute 0 during hours 8-17,"
            " on Monday, Tuesday, Wednesday, Thursday and Friday (UTC).",
        ),
        (
            "rate(15 minutes)",
            "Every 15 minutes, counted from one period after the rule's creation.",
        ),
    ],
)
def test_plain_english(expression: str, text: str) -> None:
    assert describe(Schedule.parse(expression, created=START)) == text


def test_an_at_time_in_a_spring_forward_gap_uses_the_offset_before_the_change() -> None:
    # 02:30 does not exist in Los Angeles on 2026-03-08; read as PST it is 10:30Z.
    got = fires("at(2026-03-08T02:30:00)", tz="America/Los_Angeles", count=1)
    assert got == ["Sun 03-08 10:30"]


def test_one_time_schedules_ignore_start_and_end_dates() -> None:
    bounds = {
        "start_date": datetime(2026, 6, 1, tzinfo=UTC),
        "end_date": datetime(2026, 6, 2, tzinfo=UTC),
    }
    assert fires("at(2026-05-01T10:00:00)", kind="scheduler", **bounds) == ["Fri 05-01 10:00"]


@pytest.mark.parametrize(
    ("expression", "timezone", "message"),
    [
        ("cron(0 0 * * ? *)", "America", "not an IANA time zone"),  # a folder of zones
        ("rate(² minutes)", "UTC", "positive integer"),
        ("rate(99999999999 days)", "UTC", "too large"),
        ("rate(5 MINUTES)", "UTC", "unit 'MINUTES'"),
        ("cron(\u0665 0 * * ? *)", "UTC", "minutes: .\u0665. is not a number"),  # Arabic-Indic 5
        ("cron(0 0 ? * L-2 *)", "UTC", "only allowed in day-of-month"),
    ],
)
def test_odd_input_is_a_schedule_error(expression: str, timezone: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        Schedule.parse(expression, timezone=timezone, created=START)


def test_nothing_to_fire_past_the_datetime_range_is_none_not_a_crash() -> None:
    schedule = Schedule.parse("rate(1 minute)", created=START)
    assert schedule.next_after(datetime(9999, 12, 31, 23, 59, 30, tzinfo=UTC)) is None
    zoned = Schedule.parse("cron(0 0 * * ? *)", timezone="Asia/Tokyo", created=START)
    assert zoned.next_after(datetime(9999, 12, 31, 20, tzinfo=UTC)) is None


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Schedule.parse("cron(0 0 * * ? *)", created=START).next_after(datetime(2026, 1, 1))


def test_a_stepped_range_is_described_by_its_minutes() -> None:
    schedule = Schedule.parse("cron(0-30/10 * * * ? *)", created=START)
    assert describe(schedule) == "At minute 0, 10, 20 and 30, every day (UTC)."
