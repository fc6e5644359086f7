"""`harness deploy`: one template, the same zip, three targets.

- `embedded`: moto in this process, through the service APIs; nothing leaves the machine.
- `localstack`: LocalStack's CloudFormation at its endpoint, once it says it is healthy.
- `aws`: CloudFormation through the normal credential chain; the account and region are
  shown first and nothing happens without `--yes`.

Each deploy then reads back what fires the function (the trigger, its retry policy and
dead-letter queue, the function's async config) from the target's own APIs.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rich.console import Console
from rich.table import Table

from ..aws.remote import DEFAULT_LOCALSTACK, RemoteBackend, wait_for_localstack
from ..delivery.deployed import DeployedDelivery
from ..errors import BadInput
from ..schedules import Schedule
from .cloudformation import Template
from .provision import StackSpec, check_function
from .stacks import (
    StackDeployment,
    deploy_to_embedded,
    deploy_with_cloudformation,
    read_back,
    stack_name_for,
)

TARGETS = ("embedded", "localstack", "aws")
# Where the function finds the API when none is given: the mock API beside it.
DEFAULT_API_URL = {"embedded": "http://127.0.0.1:8000", "localstack": "http://mock-api:8000"}


@dataclass
class DeployOptions:
    target: str = "embedded"
    template: Path | None = None
    stack_name: str | None = None  # None: the template's directory (ours: scheduled-sync)
    schedule: str = "cron(0 2 * * ? *)"
    timezone: str = "UTC"
    handler: str | None = None
    code_dir: Path | None = None
    api_url: str | None = None
    api_token: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)  # --param NAME=value
    endpoint_url: str = DEFAULT_LOCALSTACK
    region: str | None = None
    bucket: str | None = None  # AWS: where the zip goes; default: one per account/region
    yes: bool = False
    health_timeout: float = 120.0


@dataclass
class Deployment:
    backend: Any
    stack: StackDeployment
    delivery: DeployedDelivery


def prepare(options: DeployOptions) -> tuple[Template, dict[str, str], bytes]:
    """Everything checked offline first: the template, its parameters, the zip."""
    if options.target not in TARGETS:
        raise BadInput(f"--target {options.target!r}: choose one of {', '.join(TARGETS)}")
    api_url = options.api_url or DEFAULT_API_URL.get(options.target)
    if api_url is None:
        raise BadInput("--target aws needs --api-url: the external API the deployed function calls")
    if urlparse(api_url).scheme not in ("http", "https") or not urlparse(api_url).hostname:
        raise BadInput(f"--api-url {api_url!r} must be an http(s) URL")
    if options.target == "aws" and _loopback(api_url):
        raise BadInput(
            f"--api-url {api_url} is this machine's loopback, which a function in AWS cannot"
            " reach; pass the API's public URL"
        )
    token = options.api_token
    if token is None:
        if options.target == "aws":
            raise BadInput("--target aws needs --api-token: the external API's bearer token")
        token = "local-dev-token"
    check_function(options.handler, options.code_dir, template=options.template)
    spec = StackSpec(
        template=options.template or StackSpec().template,
        handler=options.handler or StackSpec().handler,
        code_dir=options.code_dir,
    )
    schedule = Schedule.parse(
        options.schedule, timezone=options.timezone, created=datetime.now(UTC)
    )
    template = Template.load(spec.template)
    _check_params(options.parameters, template)
    parameters = {**spec.parameters(schedule, api_url, token), **options.parameters}
    template.parameter_values({"CodeBucket": "-", "CodeKey": "-", **parameters})  # checked
    return template, parameters, spec.code()


# Parameters an option sets, and checks: a --param would bypass the check.
_OWNED = {
    "ScheduleExpression": "--schedule",
    "ScheduleTimezone": "--tz",
    "TriggerKind": "--tz (not UTC: a Scheduler schedule)",
    "Handler": "--handler",
    "ExternalApiUrl": "--api-url",
    "ApiToken": "--api-token",
    "CodeBucket": "the deploy (it uploads the zip)",
    "CodeKey": "the deploy (it uploads the zip)",
}


def _check_params(given: dict[str, str], template: Template) -> None:
    for name in given:
        if name in _OWNED:
            raise BadInput(f"--param {name} is set by {_OWNED[name]}; use that instead")
        if name not in template.parameters:
            declared = ", ".join(sorted(template.parameters)) or "none"
            raise BadInput(
                f"--param {name}: {template.path.name} has no such parameter (it has {declared})"
            )


def deploy(options: DeployOptions, console: Console, backend: Any = None) -> Deployment:
    """Deploy to the target; `backend` is the started embedded AWS for that target."""
    template, parameters, code = prepare(options)
    name = options.stack_name or stack_name_for(template.path)
    if options.target == "embedded":
        assert backend is not None, "the embedded target deploys to a started backend"
        with console.status("Deploying to the embedded AWS"):
            stack = deploy_to_embedded(backend, template, parameters, code, stack_name=name)
        return Deployment(backend, stack, read_back(backend, stack))
    if options.target == "localstack":
        with console.status(f"Waiting for LocalStack at {options.endpoint_url}"):
            wait_for_localstack(options.endpoint_url, timeout=options.health_timeout)
        remote = RemoteBackend("LocalStack", endpoint_url=options.endpoint_url, region=None)
        bucket, create = "harness-artifacts", True
    else:
        remote = RemoteBackend("AWS", endpoint_url=None, region=options.region)
        redirected = os.environ.get("AWS_ENDPOINT_URL")
        if redirected:
            console.print(
                f"[yellow]AWS_ENDPOINT_URL is set: AWS calls go to {redirected}, not AWS[/]"
            )
        console.print(
            f"AWS account [bold]{remote.account}[/], region [bold]{remote.region}[/]:"
            f" stack [bold]{name}[/] from {template.path}"
        )
        if not options.yes:
            raise BadInput(
                f"not deploying to AWS account {remote.account} ({remote.region}) without"
                " --yes; check the account and region above, then add --yes"
            )
        bucket = options.bucket or f"scheduled-lambda-artifacts-{remote.account}-{remote.region}"
        create = options.bucket is None
    with console.status(f"Deploying stack {name} to {remote.name}"):
        stack = deploy_with_cloudformation(
            remote,
            template,
            parameters,
            code,
            target=remote.name,
            bucket=bucket,
            create_bucket=create,
            region=remote.region,
            stack_name=name,
        )
    return Deployment(remote, stack, read_back(remote, stack))


def _loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def deployment_tables(deployment: Deployment) -> tuple[Table, Table]:
    """What was deployed, and what the harness read back from it."""
    stack, delivery = deployment.stack, deployment.delivery
    resources = Table(title=f"Stack {stack.name} on {stack.target}")
    for column in ("resource", "type", "physical id"):
        resources.add_column(column, overflow="fold")
    for resource in stack.resources:
        resources.add_row(resource.logical_id, resource.type, resource.physical_id)
    config = delivery.config
    read = Table(title="Read back from the deployed stack", show_header=False)
    read.add_column(style="bold")
    read.add_column(overflow="fold")
    trigger = delivery.trigger
    zone = f" ({trigger.timezone})" if config.kind == "scheduler" else ""
    state = "" if trigger.enabled else " [red]disabled[/]"
    read.add_row("fires", f"{config.kind} {trigger.expression}{zone}{state}")
    read.add_row(
        "retry policy",
        f"{config.retry.maximum_retry_attempts} retries within"
        f" {config.retry.maximum_event_age_seconds} s",
    )
    read.add_row("trigger dead letters", config.trigger_dead_letter or "none")
    asynchronous = config.async_config
    read.add_row(
        "Lambda async",
        f"{asynchronous.maximum_retry_attempts} retries within"
        f" {asynchronous.maximum_event_age_seconds} s; on failure:"
        f" {asynchronous.on_failure or 'dropped'}",
    )
    if delivery.function is not None:
        function = delivery.function
        read.add_row(
            "function",
            f"{function.name} ({function.handler}), {function.memory_mb} MB,"
            f" {function.timeout_seconds} s timeout",
        )
    return resources, read
