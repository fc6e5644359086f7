"""`harness swarm`: the command line, and the table it ends with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..deploy.commands import (
    CodeDirOption,
    HandlerOption,
    TemplateOption,
    option_instant,
    option_pairs,
)
from ..errors import signals_raise
from ..options import DEFAULT_START, RunOptions

SHOWN_CAUSES = 10


def swarm_command(
    seeds: Annotated[str, typer.Option(help="the seeds to run: 1-1000, 7, or 1-10,50")],
    days: Annotated[float, typer.Option(help="virtual days each seed runs")] = 30.0,
    faults: Annotated[
        str,
        typer.Option(
            help="each seed's plan: random (a mix of API and AWS faults drawn from the seed),"
            " a profile, or a YAML/JSON rule file (the same rules, each seed's dice)"
        ),
    ] = "random",
    workers: Annotated[
        int | None, typer.Option(help="worker processes on this machine (default: one per core)")
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(help="a Dask scheduler's address (tcp://host:8786) to run the seeds on"),
    ] = None,
    shrink_runs: Annotated[
        int, typer.Option(help="re-runs per failing seed to shrink its plan (0: no shrinking)")
    ] = 32,
    max_failures: Annotated[
        int, typer.Option(help="stop once this many seeds failed (0: run them all)")
    ] = 0,
    report_dir: Annotated[
        Path, typer.Option(help="where swarm.json, swarm.html, runs.jsonl and seeds/ go")
    ] = Path("out/swarm"),
    schedule: Annotated[str, typer.Option(help="AWS schedule expression")] = "cron(0 2 * * ? *)",
    tz: Annotated[str, typer.Option(help="IANA time zone of the expression")] = "UTC",
    start: Annotated[str, typer.Option(help="virtual start instant, ISO 8601")] = (
        DEFAULT_START.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    handler: HandlerOption = None,
    code_dir: CodeDirOption = None,
    function_timeout: Annotated[
        int | None, typer.Option(help="the function's timeout in seconds (1-900)")
    ] = None,
    template: TemplateOption = None,
    data: Annotated[Path | None, typer.Option(help="what the stack holds before firing")] = None,
    check: Annotated[
        str | None,
        typer.Option(help="your verdict on each run: package.module:function (AssertionError)"),
    ] = None,
    api_upstream: Annotated[str | None, typer.Option(help="your external API (URL)")] = None,
    api_cassette: Annotated[Path | None, typer.Option(help="a vcrpy cassette as your API")] = None,
    api_env: Annotated[
        str, typer.Option(help="the function's variable that holds the API's URL")
    ] = "EXTERNAL_API_URL",
    changes_per_day: Annotated[int, typer.Option(help="size of the mock API's dataset")] = 100,
    latency: Annotated[str, typer.Option(help="default, none, or a latency profile")] = "default",
    env: Annotated[
        list[str] | None, typer.Option(help="override a function variable, NAME=value")
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="forget the seeds an earlier swarm finished in --report-dir"),
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="show a progress bar")
    ] = True,
) -> None:
    """Run many seeds, each with its own fault plan; shrink every failure's plan."""
    from .swarm import SwarmOptions, parse_seeds, run_swarm  # not at the CLI's every start

    run = RunOptions(
        schedule=schedule,
        timezone=tz,
        start=option_instant(start),
        days=days,
        faults=faults,
        latency=latency,
        environment=option_pairs(env or []),
        changes_per_day=changes_per_day,
        handler=handler,
        code_dir=code_dir,
        function_timeout=function_timeout,
        template=template,
        data=data,
        check=check,
        api_upstream=api_upstream,
        api_cassette=api_cassette,
        api_env=api_env,
        show_progress=False,
    )
    options = SwarmOptions(
        run=run,
        seeds=parse_seeds(seeds),
        seeds_text=seeds,
        workers=workers,
        cluster=cluster,
        shrink_runs=shrink_runs,
        max_failures=max_failures,
        report_dir=report_dir,
        show_progress=progress,
        fresh=fresh,
    )
    with signals_raise():
        result = run_swarm(options, Console(stderr=True))
    print_swarm(result.document, result.path, Console())
    stopped = result.interrupted
    if stopped:
        summary = result.document["summary"]
        why = "interrupted" if stopped in ("SIGINT", "SIGTERM") else f"error: {stopped}"
        print(
            f"harness: {why} after {summary['finished']} of {summary['seeds']} seeds;"
            " the same command again goes on from there",
            file=sys.stderr,
        )
        raise typer.Exit({"SIGINT": 130, "SIGTERM": 143}.get(stopped, 2))
    if result.failures:
        raise typer.Exit(1)


def print_swarm(document: dict[str, Any], path: Path, console: Console) -> None:
    from .files import headline

    summary = document["summary"]
    ran = (
        f"{summary['ran']} run in {summary['wall_seconds']:.1f} s on {summary['workers']}"
        f" {summary['engine']} worker{'' if summary['workers'] == 1 else 's'}:"
        f" {summary['seeds_per_second']:g} seeds/s"
        if summary["ran"]
        else "none left to run"
    )
    resumed = f"; {summary['resumed']} from an earlier swarm" if summary["resumed"] else ""
    console.print(
        f"[bold]{headline(summary)}[/] ({summary['range']}, {summary['days']:g}"
        f" days each, faults {summary['faults']}); {ran}{resumed}",
        soft_wrap=True,
    )
    if summary["causes"]:
        table = Table(title="Failures by cause", show_lines=True)
        table.add_column("cause", overflow="fold")
        table.add_column("seeds", overflow="fold")
        table.add_column("the first one's minimal plan", overflow="fold")
        shown = summary["causes"][:SHOWN_CAUSES]
        for group in shown:
            seeds = ", ".join(str(s) for s in group["seeds"][:8])
            more = f" +{len(group['seeds']) - 8}" if len(group["seeds"]) > 8 else ""
            plan = "\n".join(group["first_minimal_plan"]) or "(not shrunk)"
            table.add_row(group["cause"], seeds + more, plan)
        console.print(table)
        for group in shown:  # whole lines, to copy
            console.print(
                f"Replay seed {group['seeds'][0]}: {group['first_replay']}",
                soft_wrap=True,
                highlight=False,
            )
    console.print(f"Swarm: [bold]{path}[/]", soft_wrap=True)
    console.print(f"Page:  [bold]{path.with_suffix('.html')}[/]", soft_wrap=True)
