"""Read what is deployed: the trigger, its target's retry policy and dead-letter queue,
and the function's configuration, from the backend's own APIs, as a deploy left them.
The harness delivers by these, not by its flags (flags change what gets deployed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..errors import BadInput
from ..runtime.base import FunctionSpec
from ..schedules import Schedule
from .engine import DeliveryConfig, OccurrenceRecord
from .policy import AsyncInvokeConfig, TriggerRetryPolicy


@dataclass(frozen=True)
class DeployedTrigger:
    """The schedule as deployed: what decides when the occurrences are."""

    expression: str
    timezone: str = "UTC"
    start_date: datetime | None = None
    end_date: datetime | None = None
    enabled: bool = True


@dataclass(frozen=True)
class DeployedDelivery:
    config: DeliveryConfig
    function: FunctionSpec | None  # None: the target function does not exist
    scheduler_input: str | None  # Scheduler Target.Input, context attributes unsubstituted
    action_after_completion: str  # Scheduler: NONE or DELETE
    trigger: DeployedTrigger

    def schedule(self, created: datetime) -> Schedule:
        """The schedule as deployed: what a run fires by, whatever its flags said."""
        trigger = self.trigger
        return Schedule.parse(
            trigger.expression,
            timezone=trigger.timezone,
            kind=self.config.kind,
            created=created,
            start_date=trigger.start_date,
            end_date=trigger.end_date,
        )

    def function_spec(
        self, overrides: Mapping[str, str] | None = None, code_dir: Path | None = None
    ) -> FunctionSpec:
        """What an executor needs to run the deployed function: its configuration, with
        variables overridden, and where its code lives."""
        if self.function is None:
            raise BadInput(f"the target {self.config.target_arn} is not a deployed function")
        return replace(
            self.function,
            environment={**self.function.environment, **(overrides or {})},
            code_dir=str(code_dir.resolve()) if code_dir else None,
        )


def read_rule(backend: Any, rule_name: str) -> DeployedDelivery:
    events = backend.client("events")
    rule = events.describe_rule(Name=rule_name)
    targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
    lambdas = [t for t in targets if ":lambda:" in t["Arn"]]
    if not lambdas:
        raise BadInput(f"rule {rule_name!r} has no Lambda function target")
    target = lambdas[0]
    function, async_config, concurrency = _read_function(backend, target["Arn"])
    config = DeliveryConfig(
        kind="rule",
        trigger_arn=rule["Arn"],
        target_arn=target["Arn"],
        retry=_retry(target.get("RetryPolicy")),
        trigger_dead_letter=(target.get("DeadLetterConfig") or {}).get("Arn"),
        async_config=async_config,
        reserved_concurrency=concurrency,
        function_exists=function is not None,
        permitted=function is not None and _rule_may_invoke(backend, target["Arn"], rule["Arn"]),
    )
    trigger = DeployedTrigger(
        expression=rule["ScheduleExpression"], enabled=rule.get("State") == "ENABLED"
    )
    return DeployedDelivery(config, function, None, "NONE", trigger)


def read_schedule(backend: Any, name: str, group: str = "default") -> DeployedDelivery:
    schedule = backend.client("scheduler").get_schedule(Name=name, GroupName=group)
    target = schedule.get("Target") or {}
    if not target.get("Arn"):
        raise BadInput(f"schedule {name!r} has no target")
    function, async_config, concurrency = _read_function(backend, target["Arn"])
    window = schedule.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    config = DeliveryConfig(
        kind="scheduler",
        trigger_arn=schedule["Arn"],
        target_arn=target["Arn"],
        retry=_retry(target.get("RetryPolicy")),
        trigger_dead_letter=(target.get("DeadLetterConfig") or {}).get("Arn"),
        flexible_window_minutes=(
            int(window.get("MaximumWindowInMinutes", 0)) if window.get("Mode") == "FLEXIBLE" else 0
        ),
        async_config=async_config,
        reserved_concurrency=concurrency,
        function_exists=function is not None,
        permitted=function is not None and _role_exists(backend, target.get("RoleArn", "")),
    )
    trigger = DeployedTrigger(
        expression=schedule["ScheduleExpression"],
        timezone=schedule.get("ScheduleExpressionTimezone") or "UTC",
        start_date=_utc(schedule.get("StartDate")),
        end_date=_utc(schedule.get("EndDate")),
        enabled=schedule.get("State", "ENABLED") == "ENABLED",
    )
    return DeployedDelivery(
        config,
        function,
        target.get("Input"),
        schedule.get("ActionAfterCompletion", "NONE"),
        trigger,
    )


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _retry(policy: dict[str, Any] | None) -> TriggerRetryPolicy:
    policy = policy or {}
    return TriggerRetryPolicy(
        maximum_retry_attempts=int(policy.get("MaximumRetryAttempts", 185)),
        maximum_event_age_seconds=int(policy.get("MaximumEventAgeInSeconds", 86_400)),
    )


def _read_function(
    backend: Any, arn: str
) -> tuple[FunctionSpec | None, AsyncInvokeConfig, int | None]:
    lam = backend.client("lambda")
    try:
        conf = lam.get_function_configuration(FunctionName=arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None, AsyncInvokeConfig(), None
        raise
    try:
        invoke = lam.get_function_event_invoke_config(FunctionName=arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        invoke = {}
    destination = ((invoke.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
        "Destination"
    )
    async_config = AsyncInvokeConfig(
        maximum_retry_attempts=int(invoke.get("MaximumRetryAttempts", 2)),
        maximum_event_age_seconds=int(invoke.get("MaximumEventAgeInSeconds", 21_600)),
        on_failure=destination,
        dead_letter_queue=(conf.get("DeadLetterConfig") or {}).get("TargetArn"),
    )
    concurrency = lam.get_function_concurrency(FunctionName=arn).get("ReservedConcurrentExecutions")
    function = FunctionSpec(
        name=conf["FunctionName"],
        arn=conf["FunctionArn"],
        handler=conf["Handler"],
        timeout_seconds=int(conf["Timeout"]),
        memory_mb=int(conf["MemorySize"]),
        environment=dict((conf.get("Environment") or {}).get("Variables") or {}),
    )
    return function, async_config, None if concurrency is None else int(concurrency)


def _rule_may_invoke(backend: Any, function_arn: str, rule_arn: str) -> bool:
    """Whether the function's resource policy lets EventBridge invoke it for this rule."""
    try:
        policy = backend.client("lambda").get_policy(FunctionName=function_arn)["Policy"]
    except ClientError:
        return False
    for statement in json.loads(policy).get("Statement", []):
        principal = statement.get("Principal", {})
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if statement.get("Effect") != "Allow" or service != "events.amazonaws.com":
            continue
        source = (statement.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
        if source in (None, rule_arn):
            return True
    return False


def _role_exists(backend: Any, role_arn: str) -> bool:
    try:
        backend.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])
    except ClientError:
        return False
    return True


def complete_schedule(
    backend: Any, schedule: Schedule, setup: DeployedDelivery, records: list[OccurrenceRecord]
) -> bool:
    """ActionAfterCompletion DELETE: the schedule goes after its last invocation, which
    exists only for a one-time schedule or one with an EndDate."""
    if setup.action_after_completion != "DELETE" or not records:
        return False
    last = schedule.next_after(records[-1].scheduled)
    if last is not None or (schedule.end_date is None and not schedule.text.startswith("at(")):
        return False
    name = setup.config.trigger_arn.rsplit("/", 1)[-1]
    backend.client("scheduler").delete_schedule(Name=name)
    return True
