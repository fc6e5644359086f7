"""`python -m harness`: the command line.

Bad input (an invalid schedule, an unknown option, an unwritable report dir) is one line
on stderr and exit code 2; a function that fails is a result in the report, exit 0.
"""

from __future__ import annotations

import os
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer.core
from rich.console import Console
from typer.exceptions import TyperException

from .deploy.commands import (
    TemplateOption,
    option_instant,
    option_pairs,
    stack_commands,
    wait_forever,
)
from .errors import BadInput, Terminated, signals_raise
from .report import print_summary
from .runner import DEFAULT_START, RunOptions, run
from .schedules.commands import schedule_app
from .swarm.command import swarm_command

if TYPE_CHECKING:
    from .aws.embedded import EmbeddedBackend

# Rich's help panels cut option names (`--async-retry-atte…`) when they do not fit; below
# this width, and whenever the output is not a terminal (a pipe, a file, a pager), the help
# is click's plain text instead, which wraps and never cuts.
RICH_HELP_MIN_COLUMNS = 120

app = typer.Typer(
    name="harness",
    help="Run scheduled AWS Lambda functions on a virtual clock against an embedded AWS.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
    executor: Annotated[
        str, typer.Option(help="how the handler runs: inprocess or subprocess")
    ] = "inprocess",
    transport: Annotated[
        str,
        typer.Option(
            help="how the function's AWS calls reach the embedded AWS: direct (in this"
            " process, no sockets) or http (over loopback, as to LocalStack or AWS)"
        ),
    ] = "direct",
    report_dir: Annotated[Path, typer.Option(help="where report.json and tables/ go")] = Path(
        "out/run"
    ),
    env: Annotated[
        list[str] | None, typer.Option(help="override a function variable, NAME=value")
    ] = None,
    changes_per_day: Annotated[int, typer.Option(help="size of the mock API's dataset")] = 100,
    faults: Annotated[
        str,
        typer.Option(
            help="fault profile (none, flaky, rate-limited, outage, bad-data, chaos), a"
            " YAML/JSON rule file (API `rules` and `aws` rules), or `random`: a mix of API"
            " and AWS faults drawn from --seed"
        ),
    ] = "none",
    latency: Annotated[
        str,
        typer.Option(
            help="what AWS calls, HTTP requests, cold starts and the handler's own work cost"
            " in virtual time: default (documented figures), none, or a YAML/JSON profile"
        ),
    ] = "default",
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="show a progress bar")
    ] = True,
    retry_attempts: Annotated[
        int | None, typer.Option(help="trigger target RetryPolicy MaximumRetryAttempts (0-185)")
    ] = None,
    max_event_age: Annotated[
        int | None,
        typer.Option(help="trigger target RetryPolicy MaximumEventAgeInSeconds (60-86400)"),
    ] = None,
    async_retry_attempts: Annotated[
        int | None, typer.Option(help="Lambda async MaximumRetryAttempts (0-2)")
    ] = None,
    async_max_event_age: Annotated[
        int | None, typer.Option(help="Lambda async MaximumEventAgeInSeconds (60-21600)")
    ] = None,
    reserved_concurrency: Annotated[
        int | None, typer.Option(help="the function's reserved concurrency")
    ] = None,
    duplicate_rate: Annotated[
        float | None, typer.Option(help="chance (0-1) that an event is delivered twice")
    ] = None,
    flexible_window: Annotated[
        int, typer.Option(help="Scheduler FlexibleTimeWindow in minutes (1-1440; 0 = OFF)")
    ] = 0,
    delete_after_completion: Annotated[
        bool,
        typer.Option(
            "--delete-after-completion/--no-delete-after-completion",
            help="Scheduler ActionAfterCompletion DELETE",
        ),
    ] = False,
    start_date: Annotated[str | None, typer.Option(help="Scheduler StartDate (ISO 8601)")] = None,
    end_date: Annotated[str | None, typer.Option(help="Scheduler EndDate (ISO 8601)")] = None,
    handler: Annotated[
        str | None,
        typer.Option(help="fire your handler (package.module.function) instead of ours"),
    ] = None,
    code_dir: Annotated[
        Path | None, typer.Option(help="the directory your handler's code lives in")
    ] = None,
    function_timeout: Annotated[
        int | None, typer.Option(help="the function's timeout in seconds, as deployed (1-900)")
    ] = None,
    scheduler_input: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="Scheduler Target.Input (JSON; <aws.scheduler.scheduled-time> etc. substituted)",
        ),
    ] = None,
    template: TemplateOption = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="after the summary, keep the embedded AWS serving the run's final state (for"
            " the AWS CLI or NoSQL Workbench) until Ctrl-C",
        ),
    ] = False,
    data: Annotated[
        Path | None,
        typer.Option(
            help="load DIR/dynamodb/<table>.jsonl, DIR/s3/<bucket>/<key> and DIR/secrets/<name>"
            " after the deploy, before the first occurrence"
        ),
    ] = None,
    check: Annotated[
        str | None,
        typer.Option(
            help="your verdict on the run: package.module:function, called with the report"
            " dir; an AssertionError fails the run (exit 1)"
        ),
    ] = None,
    api_upstream: Annotated[
        str | None,
        typer.Option(
            help="your external API (URL): the fault rules and journal stand in front of it"
            " instead of the mock records API"
        ),
    ] = None,
    api_cassette: Annotated[
        Path | None,
        typer.Option(help="a vcrpy cassette (YAML) played back as your external API"),
    ] = None,
    api_env: Annotated[
        str,
        typer.Option(help="the function's variable that holds the external API's URL"),
    ] = "EXTERNAL_API_URL",
) -> None:
    """Fire the scheduled function at every occurrence in virtual time and report."""
    console = Console(stderr=True)
    options = RunOptions(
        schedule=schedule,
        timezone=tz,
        start=option_instant(start),
        days=days,
        seed=seed,
        executor=executor,
        transport=transport,
        report_dir=report_dir,
        environment=option_pairs(env or []),
        changes_per_day=changes_per_day,
        faults=faults,
        latency=latency,
        show_progress=progress,
        retry_attempts=retry_attempts,
        max_event_age=max_event_age,
        async_retry_attempts=async_retry_attempts,
        async_max_event_age=async_max_event_age,
        reserved_concurrency=reserved_concurrency,
        duplicate_rate=duplicate_rate,
        flexible_window=flexible_window,
        delete_after_completion=delete_after_completion,
        scheduler_input=scheduler_input,
        handler=handler,
        code_dir=code_dir,
        function_timeout=function_timeout,
        template=template,
        data=data,
        check=check,
        api_upstream=api_upstream,
        api_cassette=api_cassette,
        api_env=api_env,
        start_date=option_instant(start_date, "--start-date") if start_date else None,
        end_date=option_instant(end_date, "--end-date") if end_date else None,
    )
    with ExitStack() as services:
        from .aws.embedded import EmbeddedBackend

        backend = services.enter_context(EmbeddedBackend()) if serve else None
        with signals_raise():
            result = run(options, console, backend=backend)
        print_summary(result.report, result.report_path, Console())
        stopped = result.report.get("interruption")
        if stopped:
            print(
                f"harness: interrupted at {stopped['at']} after {stopped['occurrences_run']} of"
                f" {stopped['occurrences']} occurrences",
                file=sys.stderr,
            )
            raise typer.Exit(143 if stopped["signal"] == "SIGTERM" else 130)
        if backend is not None:
            _serve(backend, sorted(result.tables))
    verdict = result.report.get("check")
    if verdict and not verdict["held"]:
        print(f"harness: {verdict['name']} failed: {verdict['detail']}", file=sys.stderr)
        raise typer.Exit(1)


def _serve(backend: EmbeddedBackend, tables: list[str]) -> None:
    """Keep the embedded AWS up with the run's final state until Ctrl-C (or SIGTERM)."""
    url = backend.endpoint_url
    example = f"dynamodb scan --table-name {tables[0]}" if tables else "s3 ls"
    print(
        f"The embedded AWS serves the run's final state at {url} (any credentials, region"
        f" {backend.region}); Ctrl-C stops it. For example:\n"
        f"  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --region {backend.region}"
        f" --endpoint-url {url} {example}",
        flush=True,
    )
    try:
        with signals_raise():
            wait_forever()
    except Terminated:
        raise typer.Exit(143) from None
    except KeyboardInterrupt:  # Ctrl-C is how serving ends: the run's own exit code stands
        pass


@app.command("report")
def report_command(
    report_dir: Annotated[
        Path, typer.Argument(help="the --report-dir of a run (holding report.json)")
    ],
) -> None:
    """Build (again) the run's page, report.html, from what the run wrote."""
    from .report.page import build

    page = build(report_dir)
    Console().print(f"Page: [bold]{page}[/]", soft_wrap=True)


app.command("swarm")(swarm_command)
app.add_typer(stack_commands)
app.add_typer(schedule_app, name="schedule")


def _plain_help_unless_wide_terminal() -> None:
    if "TERMINAL_WIDTH" in os.environ:  # typer's own setting: the user chose the width
        return
    columns = shutil.get_terminal_size((0, 0)).columns if sys.stdout.isatty() else 0
    if columns < RICH_HELP_MIN_COLUMNS:
        typer.core.HAS_RICH = False


def main(argv: list[str] | None = None) -> int:
    _plain_help_unless_wide_terminal()
    try:
        code = app(args=argv, prog_name="harness", standalone_mode=False)
    except BadInput as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    except TyperException as exc:  # unknown option, bad value, missing command
        message = exc.format_message()
        if message:  # empty when the usage text was already printed (no arguments)
            print(f"harness: error: {message}", file=sys.stderr)
        return 2
    except Terminated:
        print("harness: terminated", file=sys.stderr)
        return 143
    except (typer.Abort, KeyboardInterrupt):
        print("harness: interrupted", file=sys.stderr)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    # Outside standalone mode click hands back an Exit's code instead of raising it.
    return code if isinstance(code, int) else 0
