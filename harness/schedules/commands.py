"""`harness schedule next` and `harness schedule explain`: schedule expressions
previewed offline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..clock import parse_instant
from ..errors import BadInput
from .explain import describe
from .schedule import Schedule

MAX_COUNT = 10_000


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise BadInput(f"--count must be 1 to {MAX_COUNT:,}, got {count}")


schedule_app = typer.Typer(help="Preview AWS schedule expressions offline.", no_args_is_help=True)

KindOption = Annotated[
    str,
    typer.Option(help="rule (EventBridge rule, UTC) or scheduler; default: from the other options"),
]


def _schedule(
    expression: str, tz: str, kind: str, start: str | None, end: str | None, created: datetime
) -> Schedule:
    if kind not in ("auto", "rule", "scheduler"):
        raise BadInput(f"--kind {kind!r} must be rule or scheduler")
    return Schedule.parse(
        expression,
        timezone=tz,
        kind=None if kind == "auto" else kind,  # type: ignore[arg-type]
        created=created,
        start_date=parse_instant(start, "--start-date") if start else None,
        end_date=parse_instant(end, "--end-date") if end else None,
    )


@schedule_app.command("next")
def schedule_next(
    expression: Annotated[str, typer.Argument(help="cron(...), rate(...) or at(...)")],
    after: Annotated[str | None, typer.Option(help="ISO 8601 instant; default: now")] = None,
    count: Annotated[int, typer.Option(help="how many fire instants")] = 10,
    tz: Annotated[str, typer.Option(help="IANA time zone of the expression")] = "UTC",
    kind: KindOption = "auto",
    start_date: Annotated[str | None, typer.Option(help="Scheduler StartDate")] = None,
    end_date: Annotated[str | None, typer.Option(help="Scheduler EndDate")] = None,
) -> None:
    """Print the next fire instants strictly after --after, one per line, in UTC."""
    _check_count(count)
    moment = parse_instant(after, "--after") if after else datetime.now(UTC)
    schedule = _schedule(expression, tz, kind, start_date, end_date, created=moment)
    fire: datetime | None = moment
    for _ in range(count):
        assert fire is not None
        fire = schedule.next_after(fire)
        if fire is None:
            break
        print(fire.strftime("%Y-%m-%dT%H:%M:%SZ"))


@schedule_app.command("explain")
def schedule_explain(
    expression: Annotated[str, typer.Argument(help="cron(...), rate(...) or at(...)")],
    tz: Annotated[str, typer.Option(help="IANA time zone of the expression")] = "UTC",
    kind: KindOption = "auto",
    after: Annotated[str | None, typer.Option(help="ISO 8601 instant; default: now")] = None,
    count: Annotated[int, typer.Option(help="how many fire instants to show")] = 5,
) -> None:
    """Describe a schedule in plain English and show its next fires in UTC and its zone."""
    _check_count(count)
    moment = parse_instant(after, "--after") if after else datetime.now(UTC)
    schedule = _schedule(expression, tz, kind, None, None, created=moment)
    console = Console()
    console.print(describe(schedule))
    table = Table(show_header=True, header_style="bold")
    table.add_column("UTC")
    table.add_column(tz)
    fire = schedule.next_after(moment)
    for _ in range(count):
        if fire is None:
            break
        local = fire.astimezone(schedule.zone)
        table.add_row(fire.strftime("%Y-%m-%d %H:%M %a"), local.strftime("%Y-%m-%d %H:%M %a %Z"))
        fire = schedule.next_after(fire)
    if table.row_count:
        console.print(table)
    else:
        console.print("It never fires after " + moment.strftime("%Y-%m-%dT%H:%M:%SZ") + ".")
