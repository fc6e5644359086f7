"""A schedule: an expression, where it is read (time zone), and what bounds it.

`Schedule.next_after(t)` is the one evaluation every caller uses; `ScheduleTrigger`
wraps it as an APScheduler trigger so APScheduler can drive real-time runs from the
same object the virtual clock iterates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger

from .cron import CronExpression
from .errors import ScheduleError
from .rate import AtExpression, RateExpression

Kind = Literal["rule", "scheduler"]
Expression = CronExpression | RateExpression | AtExpression
_TICK = timedelta(microseconds=1)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, like "America"
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise ScheduleError(f"time zone {shown!r} is not an IANA time zone name") from None


MAX_EXPRESSION_CHARS = 256  # AWS's limit on ScheduleExpression, for rules and Scheduler


def parse_expression(text: str, *, kind: Kind) -> Expression:
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ScheduleError(
            f"schedule expression is {len(text):,} characters long; AWS allows at most"
            f" {MAX_EXPRESSION_CHARS}"
        )
    stripped = text.strip()
    head, _, rest = stripped.partition("(")
    if not stripped.endswith(")") or not rest:
        raise ScheduleError(
            f"schedule expression {text!r} is not valid: expected cron(...), rate(...) or at(...)"
        )
    body = rest[:-1]
    if head == "cron":
        if not body.strip():
            raise ScheduleError("cron expression is empty: it needs 6 fields")
        return CronExpression.parse(body)
    if head == "rate":
        return RateExpression.parse(body, scheduler=kind == "scheduler")
    if head == "at":
        if kind == "rule":
            raise ScheduleError("at() expressions exist only in EventBridge Scheduler schedules")
        return AtExpression.parse(body)
    raise ScheduleError(
        f"schedule expression {text!r} is not valid: expected cron(...), rate(...) or at(...)"
    )


@dataclass(frozen=True)
class Schedule:
    expression: Expression
    zone: ZoneInfo
    kind: Kind
    created: datetime  # when the rule or schedule was created: rates count from here
    start_date: datetime | None = None  # Scheduler: inclusive
    end_date: datetime | None = None  # Scheduler: inclusive

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        timezone: str = "UTC",
        kind: Kind | None = None,
        created: datetime,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> Schedule:
        zone = zone_named(timezone)
        if kind is None:
            scheduler_only = (
                timezone != "UTC" or start_date or end_date or text.strip().startswith("at(")
            )
            kind = "scheduler" if scheduler_only else "rule"
        if kind == "rule" and (timezone != "UTC" or start_date or end_date):
            raise ScheduleError(
                "EventBridge rules run in UTC without start or end dates; "
                "time zones and bounds are EventBridge Scheduler's"
            )
        if start_date and end_date and end_date < start_date:
            raise ScheduleError("EndDate is before StartDate")
        return cls(parse_expression(text, kind=kind), zone, kind, created, start_date, end_date)

    @property
    def text(self) -> str:
        return self.expression.text

    def next_after(self, t: datetime) -> datetime | None:
        """The first fire instant strictly after the aware instant `t`, or None when there
        is none (or none that a datetime can hold)."""
        if t.tzinfo is None:
            raise ValueError("next_after needs a timezone-aware datetime")
        # Scheduler ignores StartDate and EndDate for one-time schedules.
        bounded = not isinstance(self.expression, AtExpression)
        if bounded and self.start_date is not None and t < self.start_date:
            t = self.start_date - _TICK  # StartDate itself may fire
        try:
            fire = self._next(t)
        except OverflowError:  # past year 9999 in some zone: nothing to fire
            return None
        if fire is None or (bounded and self.end_date is not None and fire > self.end_date):
            return None
        return fire

    def _next(self, t: datetime) -> datetime | None:
        expression = self.expression
        if isinstance(expression, CronExpression):
            return expression.next_after(t, self.zone)
        if isinstance(expression, RateExpression):
            # A Scheduler schedule fires at its StartDate (or creation); a rule's first
            # fire is one period after its creation.
            if self.start_date is not None:
                anchor = self.start_date
            elif self.kind == "scheduler":
                anchor = self.created
            else:
                anchor = self.created + expression.period
            return expression.next_after(t, anchor)
        instant = expression.instant(self.zone)
        return instant if instant > t else None

    def fires(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Fire instants t with start <= t < end, in order."""
        fire = self.next_after(start - _TICK)
        while fire is not None and fire < end:
            yield fire
            fire = self.next_after(fire)

    def trigger(self) -> ScheduleTrigger:
        return ScheduleTrigger(self)


class ScheduleTrigger(BaseTrigger):  # type: ignore[misc]
    """An APScheduler trigger firing exactly when AWS would."""

    __slots__ = ("schedule",)

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = previous_fire_time if previous_fire_time is not None else now - _TICK
        return self.schedule.next_after(after.astimezone(UTC))

    def __str__(self) -> str:
        return f"aws[{self.schedule.text} {self.schedule.zone.key}]"

    def __repr__(self) -> str:
        return f"<ScheduleTrigger ({self.schedule.text!r}, timezone={self.schedule.zone.key!r})>"
