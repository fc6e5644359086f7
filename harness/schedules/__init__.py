"""AWS schedule expressions, exactly: cron, rate and at, rules and Scheduler schedules."""

from .cron import CronExpression
from .errors import ScheduleError
from .explain import describe
from .rate import AtExpression, RateExpression
from .schedule import Schedule, ScheduleTrigger, parse_expression, zone_named

__all__ = [
    "AtExpression",
    "CronExpression",
    "RateExpression",
    "Schedule",
    "ScheduleError",
    "ScheduleTrigger",
    "describe",
    "parse_expression",
    "zone_named",
]
