"""The commands that put a stack somewhere and keep it up: `deploy`, `live`, and the
Compose stack's `up`, `down` and `logs`; with the options and parsers `run` shares."""

from __future__ import annotations

import time
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..clock import parse_instant
from ..errors import BadInput

# Merged into the `harness` command group (a Typer without a name adds its commands).
stack_commands = typer.Typer()


def option_instant(text: str, option: str = "--start") -> datetime:
    return parse_instant(text, option)


def option_pairs(pairs: list[str], option: str = "--env") -> dict[str, str]:
    result = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadInput(f"{option} {pair!r} must look like NAME=value")
        result[name] = value
    return result


TemplateOption = Annotated[
    Path | None,
    typer.Option(help="a CloudFormation or SAM template to deploy instead of deploy/template.yaml"),
]
HandlerOption = Annotated[
    str | None, typer.Option(help="fire your handler (package.module.function) instead of ours")
]
CodeDirOption = Annotated[
    Path | None, typer.Option(help="the directory your handler's code lives in")
]


@stack_commands.command("deploy")
def deploy_command(
    target: Annotated[str, typer.Option(help="embedded, localstack or aws")] = "embedded",
    template: TemplateOption = None,
    stack_name: Annotated[
        str | None,
        typer.Option(
            help="the CloudFormation stack's name (default: the template's directory;"
            " scheduled-sync for ours)"
        ),
    ] = None,
    schedule: Annotated[str, typer.Option(help="AWS schedule expression")] = "cron(0 2 * * ? *)",
    tz: Annotated[
        str, typer.Option(help="IANA time zone (not UTC: an EventBridge Scheduler schedule)")
    ] = "UTC",
    handler: HandlerOption = None,
    code_dir: CodeDirOption = None,
    api_url: Annotated[
        str | None, typer.Option(help="the external API's URL, as the deployed function sees it")
    ] = None,
    api_token: Annotated[
        str | None, typer.Option(help="the external API's token", envvar="API_TOKEN")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="a template parameter, NAME=value (repeatable)")
    ] = None,
    endpoint_url: Annotated[str, typer.Option(help="LocalStack's endpoint")] = (
        "http://127.0.0.1:4566"
    ),
    region: Annotated[
        str | None, typer.Option(help="AWS region; default: AWS_REGION or your profile's")
    ] = None,
    bucket: Annotated[
        str | None, typer.Option(help="AWS: the S3 bucket for the zip (default: one is made)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="AWS: really deploy")] = False,
    wait: Annotated[float, typer.Option(help="seconds to wait for LocalStack's health")] = 120.0,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="embedded: keep serving the deployed stack until Ctrl-C"
        ),
    ] = False,
) -> None:
    """Deploy the template and the function's zip, then show what was read back."""
    from ..aws.embedded import EmbeddedBackend
    from .targets import DeployOptions, deploy, deployment_tables

    options = DeployOptions(
        target=target,
        template=template,
        stack_name=stack_name,
        schedule=schedule,
        timezone=tz,
        handler=handler,
        code_dir=code_dir,
        api_url=api_url,
        api_token=api_token,
        parameters=option_pairs(param or [], "--param"),
        endpoint_url=endpoint_url,
        region=region,
        bucket=bucket,
        yes=yes,
        health_timeout=wait,
    )
    console = Console(emoji=False)  # ARNs hold `:secret:`, an emoji code to rich
    if target != "embedded":
        console.print(*deployment_tables(deploy(options, console)))
        return
    with EmbeddedBackend() as backend:
        console.print(*deployment_tables(deploy(options, console, backend)))
        if serve:
            console.print(
                f"The embedded AWS serves the stack at [bold]{backend.endpoint_url}[/]"
                " (any credentials); Ctrl-C stops it."
            )
            with suppress(KeyboardInterrupt):
                wait_forever()


def wait_forever() -> None:
    while True:
        time.sleep(3600)


@stack_commands.command("live")
def live_command(
    backend: Annotated[str, typer.Option(help="embedded or localstack")] = "embedded",
    speed: Annotated[
        float, typer.Option(help="how much faster than real time (60: an hour a minute)")
    ] = 1.0,
    schedule: Annotated[str, typer.Option(help="AWS schedule expression")] = "cron(0 2 * * ? *)",
    tz: Annotated[str, typer.Option(help="IANA time zone of the expression")] = "UTC",
    start: Annotated[
        str | None, typer.Option(help="where the live clock starts (ISO 8601); default: now")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="wall seconds to run; default: until Ctrl-C")
    ] = None,
    seed: Annotated[int, typer.Option(help="fixes data, fault dice and ids")] = 1,
    faults: Annotated[str, typer.Option(help="fault profile or rule file")] = "none",
    template: TemplateOption = None,
    handler: HandlerOption = None,
    code_dir: CodeDirOption = None,
    api_url: Annotated[
        str | None, typer.Option(help="an API already running (default: start the mock API)")
    ] = None,
    api_token: Annotated[
        str | None, typer.Option(help="that API's token", envvar="API_TOKEN")
    ] = None,
    endpoint_url: Annotated[str, typer.Option(help="LocalStack's endpoint")] = (
        "http://127.0.0.1:4566"
    ),
    report_dir: Annotated[Path, typer.Option(help="where fires.jsonl and logs.jsonl go")] = Path(
        "out/live"
    ),
    wait: Annotated[float, typer.Option(help="seconds to wait for LocalStack's health")] = 120.0,
) -> None:
    """Deploy, then fire the function by its schedule in real or scaled time."""
    from ..live import LiveOptions, live, summary

    options = LiveOptions(
        backend=backend,
        endpoint_url=endpoint_url,
        speed=speed,
        schedule=schedule,
        timezone=tz,
        start=option_instant(start) if start else None,
        duration=duration,
        seed=seed,
        faults=faults,
        template=template,
        handler=handler,
        code_dir=code_dir,
        api_url=api_url,
        api_token=api_token,
        report_dir=report_dir,
        health_timeout=wait,
    )
    console = Console()
    result = live(options, console)
    console.print(summary(result))


@stack_commands.command("up")
def up_command(
    wait: Annotated[int, typer.Option(help="seconds to wait for the stack's health")] = 300,
) -> None:
    """Start LocalStack, the mock API and the harness (live) with Docker Compose."""
    from .compose import up

    up(wait)
    Console().print(
        "Up: the harness deployed the stack to LocalStack and is firing it."
        " [bold]make logs[/] follows it; [bold]make down[/] stops everything."
    )


@stack_commands.command("down")
def down_command() -> None:
    """Stop the Compose stack and remove its containers and volumes."""
    from .compose import run_compose

    raise typer.Exit(run_compose(["down", "--volumes", "--remove-orphans"]))


@stack_commands.command("logs")
def logs_command() -> None:
    """Follow the Compose stack's logs."""
    from .compose import run_compose

    raise typer.Exit(run_compose(["logs", "--follow", "--tail", "200"]))
