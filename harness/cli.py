"""`python -m harness`: the command line.

Bad input (an invalid schedule, an unknown option, an unwritable report dir) is one line
on stderr and exit code 2; a function that fails is a result in the report, exit 0.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.exceptions import TyperException

from .errors import BadInput
from .runner import DEFAULT_START, RunOptions, print_summary, run

app = typer.Typer(
    name="harness",
    help="Run scheduled AWS Lambda functions on a virtual clock against an embedded AWS.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _instant(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--start {text!r} is not an ISO 8601 instant") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _environment(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadInput(f"--env {pair!r} must look like NAME=value")
        result[name] = value
    return result


@app.callback()
def _commands() -> None:
    """Run scheduled AWS Lambda functions on a virtual clock against an embedded AWS."""


@app.command("run")
def run_command(
    schedule: Annotated[str, typer.Option(help="AWS schedule expression")] = "cron(0 2 * * ? *)",
    tz: Annotated[str, typer.Option(help="IANA time zone of the expression")] = "UTC",
    start: Annotated[str, typer.Option(help="virtual start instant, ISO 8601")] = (
        DEFAULT_START.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    days: Annotated[float, typer.Option(help="virtual days to run")] = 90.0,
    seed: Annotated[int, typer.Option(help="fixes data, fault dice, jitter and ids")] = 1,
    executor: Annotated[str, typer.Option(help="how the handler runs: inprocess")] = "inprocess",
    report_dir: Annotated[Path, typer.Option(help="where report.json and tables/ go")] = Path(
        "out/run"
    ),
    env: Annotated[
        list[str] | None, typer.Option(help="override a function variable, NAME=value")
    ] = None,
    changes_per_day: Annotated[int, typer.Option(help="size of the mock API's dataset")] = 100,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Fire the scheduled function at every occurrence in virtual time and report."""
    console = Console(stderr=True)
    options = RunOptions(
        schedule=schedule,
        timezone=tz,
        start=_instant(start),
        days=days,
        seed=seed,
        executor=executor,
        report_dir=report_dir,
        environment=_environment(env or []),
        changes_per_day=changes_per_day,
        show_progress=progress,
    )
    result = run(options, console)
    print_summary(result, Console())


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="harness", standalone_mode=False)
    except BadInput as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    except TyperException as exc:  # unknown option, bad value, missing command
        print(f"harness: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        print("harness: interrupted", file=sys.stderr)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    return 0
