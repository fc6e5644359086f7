"""AWS schedule expressions as APScheduler triggers (the basics; exact semantics follow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.base import BaseTrigger

from harness.errors import BadInput
from harness.schedules import fire_times, parse_schedule

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def fires(expression: str, days: float = 7) -> list[str]:
    trigger = parse_schedule(expression, anchor=START)
    return [
        t.strftime("%a %m-%d %H:%M")
        for t in fire_times(trigger, START, START + timedelta(days=days))
    ]


def test_triggers_are_apscheduler_triggers() -> None:
    assert isinstance(parse_schedule("cron(0 2 * * ? *)", anchor=START), BaseTrigger)


def test_daily_cron_fires_once_a_day_in_utc() -> None:
    assert fires("cron(0 2 * * ? *)", days=3) == [
        "Mon 03-02 02:00",
        "Tue 03-03 02:00",
        "Wed 03-04 02:00",
    ]


def test_day_of_week_numbers_count_from_sunday() -> None:
    assert fires("cron(0 9 ? * 2 *)", days=14) == ["Mon 03-02 09:00", "Mon 03-09 09:00"]
    assert fires("cron(0 9 ? * 1 *)", days=7) == ["Sun 03-08 09:00"]


def test_documented_example_every_5_minutes_on_weekdays() -> None:
    got = fires("cron(0/5 8-17 ? * MON-FRI *)", days=1)
    assert got[:3] == ["Mon 03-02 08:00", "Mon 03-02 08:05", "Mon 03-02 08:10"]
    assert got[-1] == "Mon 03-02 17:55"


def test_rate_is_anchored_at_creation() -> None:
    assert fires("rate(6 hours)", days=1) == [
        "Mon 03-02 06:00",
        "Mon 03-02 12:00",
        "Mon 03-02 18:00",
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 2 * * *)", "6 fields"),
        ("cron(0 2 * * * *)", "exactly one of the two must be '?'"),
        ("cron(0 2 ? * ? *)", "exactly one of the two must be '?'"),
        ("cron(0 2 ? * 0 *)", "day-of-week: 0 is out of range 1-7 (1 = SUN)"),
        ("cron(60 2 * * ? *)", "minutes: 60 is out of range 0-59"),
        ("cron(0 2 * * ? 2200)", "year: 2200 is out of range 1970-2199"),
        ("rate(1 minutes)", "singular for 1"),
        ("rate(5 minute)", "singular for 1"),
        ("rate(0 minutes)", "positive"),
        ("rate(5 weeks)", "not one of"),
        ("every day", "expected cron(...) or rate(...)"),
    ],
)
def test_invalid_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_schedule(expression, anchor=START)


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(BadInput, match="IANA"):
        parse_schedule("cron(0 2 * * ? *)", timezone="Mars/Olympus", anchor=START)
