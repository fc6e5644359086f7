"""The stack a run fires: the deploy template, deployed to the embedded AWS with the
run's settings as its parameters, and read back.

`StackSpec` holds those settings (the template's parameters, named for what they
mean); `provision` deploys the template (`deploy/template.yaml` unless the spec names
another) and returns what a run needs from the result.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..aws.base import AwsBackend
from ..clock import iso_z
from ..delivery.deployed import DeployedDelivery
from ..delivery.policy import AsyncInvokeConfig, TriggerRetryPolicy
from ..errors import BadInput
from ..runtime.base import FunctionSpec
from ..runtime.events import scheduled_event
from ..schedules import Schedule
from .cloudformation import Template
from .package import build_function_zip, build_user_zip
from .stacks import (
    DEFAULT_TEMPLATE,
    StackDeployment,
    deploy_to_embedded,
    read_back,
    schedule_group,
    stack_name_for,
)

HANDLER = "function.handler.lambda_handler"


@dataclass(frozen=True)
class StackSpec:
    """The run's settings for the template's parameters. Queue, role and alarm names
    follow from the function's name in the template."""

    template: Path = DEFAULT_TEMPLATE
    function_name: str = "scheduled-sync"
    handler: str = HANDLER
    code_dir: Path | None = None  # a user's function: the root of its deployment package
    records_table: str = "SyncRecords"
    sync_table: str = "DailySync"
    rule_name: str = "daily-data-sync"  # the rule's or the Scheduler schedule's name
    secret_name: str = "external-api-token"
    timeout_seconds: int = 300
    memory_mb: int = 512
    retry: TriggerRetryPolicy = field(default_factory=TriggerRetryPolicy)
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)
    reserved_concurrency: int | None = None
    flexible_window_minutes: int = 0  # Scheduler only
    scheduler_input: str | None = None  # Scheduler Target.Input; None: the default envelope
    # Scheduler ActionAfterCompletion (NONE or DELETE): CloudFormation has no property for
    # it, so a deploy sets it with UpdateSchedule afterwards.
    action_after_completion: str = "NONE"

    def parameters(self, schedule: Schedule, api_url: str, api_token: str) -> dict[str, str]:
        """The template's parameters for this spec and schedule (a template takes those
        it declares)."""
        values = {
            "FunctionName": self.function_name,
            "Handler": self.handler,
            "MemorySize": self.memory_mb,
            "Timeout": self.timeout_seconds,
            "ReservedConcurrency": _or(self.reserved_concurrency, -1),
            "ExternalApiUrl": api_url,
            "ApiToken": api_token,
            "RecordsTableName": self.records_table,
            "SyncTableName": self.sync_table,
            "SecretName": self.secret_name,
            "TriggerKind": schedule.kind,
            "TriggerName": self.rule_name,
            "ScheduleExpression": schedule.text,
            "ScheduleTimezone": schedule.zone.key,
            "FlexibleWindowMinutes": self.flexible_window_minutes,
            "ScheduleStartDate": iso_z(schedule.start_date) if schedule.start_date else "",
            "ScheduleEndDate": iso_z(schedule.end_date) if schedule.end_date else "",
            "ScheduleInput": self.scheduler_input or "",
            "RetryAttempts": self.retry.maximum_retry_attempts,
            "MaxEventAge": self.retry.maximum_event_age_seconds,
            "AsyncRetryAttempts": self.async_config.maximum_retry_attempts,
            "AsyncMaxEventAge": self.async_config.maximum_event_age_seconds,
        }
        return {name: str(value) for name, value in values.items()}

    @classmethod
    def with_settings(
        cls,
        *,
        template: Path | None = None,
        handler: str | None = None,
        code_dir: Path | None = None,
        timeout_seconds: int | None = None,
        retry_attempts: int | None = None,
        max_event_age: int | None = None,
        async_retry_attempts: int | None = None,
        async_max_event_age: int | None = None,
        reserved_concurrency: int | None = None,
        flexible_window: int = 0,
        delete_after_completion: bool = False,
        scheduler_input: str | None = None,
    ) -> StackSpec:
        """The defaults, overridden by the settings given (None: the default's)."""
        d = cls()
        return replace(
            d,
            template=template or d.template,
            handler=handler or d.handler,
            code_dir=code_dir,
            timeout_seconds=_or(timeout_seconds, d.timeout_seconds),
            retry=TriggerRetryPolicy(
                maximum_retry_attempts=_or(retry_attempts, d.retry.maximum_retry_attempts),
                maximum_event_age_seconds=_or(max_event_age, d.retry.maximum_event_age_seconds),
            ),
            async_config=AsyncInvokeConfig(
                maximum_retry_attempts=_or(
                    async_retry_attempts, d.async_config.maximum_retry_attempts
                ),
                maximum_event_age_seconds=_or(
                    async_max_event_age, d.async_config.maximum_event_age_seconds
                ),
            ),
            reserved_concurrency=reserved_concurrency,
            flexible_window_minutes=flexible_window,
            action_after_completion="DELETE" if delete_after_completion else "NONE",
            scheduler_input=scheduler_input,
        )

    def code(self) -> bytes:
        """The deployment zip: ours, or the user's code directory."""
        if self.code_dir is not None:
            return build_user_zip(self.code_dir)
        return build_function_zip()


def check_function(
    handler: str | None,
    code_dir: Path | None,
    timeout_seconds: int | None = None,
    template: Path | None = None,
) -> None:
    """A user's function is a handler in a code directory that exists (or what their
    template says); a timeout is within Lambda's limits."""
    if timeout_seconds is not None and not 1 <= timeout_seconds <= 900:
        raise BadInput(
            f"--function-timeout must be 1 to 900 seconds (Lambda's limits), got {timeout_seconds}"
        )
    if code_dir is not None and not os.path.isdir(code_dir):  # False for any bad name
        raise BadInput(f"--code-dir {str(code_dir)!r} is not a directory")
    if code_dir is not None and handler is None and template is None:
        raise BadInput(
            "--code-dir goes with --handler (name the handler in that directory) or with"
            " --template (whose function names it)"
        )


@dataclass(frozen=True)
class Deployed:
    spec: StackSpec
    stack: StackDeployment
    delivery: DeployedDelivery  # the trigger and function, read back from the backend
    schedule: Schedule
    account: str
    region: str

    @property
    def function_arn(self) -> str:
        return self.delivery.config.target_arn

    @property
    def trigger_arn(self) -> str:
        return self.delivery.config.trigger_arn

    def event(self, event_id: str, time: datetime) -> dict[str, Any]:
        """The payload the rule or Scheduler schedule delivers for the occurrence `time`."""
        return scheduled_event(
            event_id=event_id,
            trigger_arn=self.trigger_arn,
            account=self.account,
            region=self.region,
            time=time,
            kind=self.delivery.config.kind,
        )

    def function(self, overrides: Mapping[str, str] | None = None) -> FunctionSpec:
        """What an executor needs to run the deployed function, with variables overridden."""
        return self.delivery.function_spec(overrides, self.code_dir_of_target())

    def code_dir_of_target(self) -> Path | None:
        """Where the fired function's code lives when its template says (a SAM CodeUri)."""
        function = self.delivery.function
        return self.stack.code_dirs.get(function.name) if function is not None else None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def provision(
    backend: AwsBackend,
    spec: StackSpec,
    *,
    schedule: Schedule,
    api_url: str,
    api_token: str,
) -> Deployed:
    """Deploy the spec's template to `backend` and read back what fires the function."""
    template = Template.load(spec.template)
    stack = deploy_to_embedded(
        backend,
        template,
        spec.parameters(schedule, api_url, api_token),
        spec.code(),
        stack_name=stack_name_for(spec.template),
    )
    kind, name = stack.trigger(backend)
    if kind == "scheduler" and spec.action_after_completion != "NONE":
        _set_action_after_completion(backend, name, spec.action_after_completion)
    delivery = read_back(backend, stack)
    return Deployed(spec, stack, delivery, schedule, backend.account, backend.region)


def _set_action_after_completion(backend: AwsBackend, name: str, action: str) -> None:
    """Re-create the schedule with the action: moto's UpdateSchedule drops the field."""
    scheduler = backend.client("scheduler")
    current = scheduler.get_schedule(Name=name, GroupName=schedule_group(backend, name))
    keys = (
        "ScheduleExpression",
        "ScheduleExpressionTimezone",
        "StartDate",
        "EndDate",
        "Description",
        "State",
        "FlexibleTimeWindow",
        "Target",
        "GroupName",
        "KmsKeyArn",
    )
    scheduler.delete_schedule(Name=name, GroupName=current["GroupName"])
    scheduler.create_schedule(
        Name=name, ActionAfterCompletion=action, **{k: current[k] for k in keys if k in current}
    )
