"""The resources a deploy creates, provisioned through the service APIs.

Tables (with their sparse indexes), the API token secret, the function's role and the
function itself (the same zip a deploy uploads) with its asynchronous invoke config
(retries, event age, an on-failure SQS destination) and reserved concurrency, and what
fires it: an EventBridge rule whose target has a retry policy and a dead-letter queue,
with the invoke permission, or an EventBridge Scheduler schedule with its role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .delivery.policy import AsyncInvokeConfig, TriggerRetryPolicy
from .events import scheduled_event
from .executor import FunctionSpec
from .package import build_function_zip
from .schedules import Schedule

HANDLER = "function.handler.lambda_handler"
RUNTIME = "python3.12"


class AwsBackend(Protocol):
    region: str
    account: str

    def client(self, service: str) -> Any: ...


@dataclass(frozen=True)
class StackSpec:
    function_name: str = "scheduled-sync"
    handler: str = HANDLER
    code_dir: Path | None = None  # a user's function: the root of its deployment package
    records_table: str = "SyncRecords"
    sync_table: str = "DailySync"
    rule_name: str = "daily-data-sync"
    secret_name: str = "external-api-token"
    role_name: str = "scheduled-sync-role"
    timeout_seconds: int = 300
    memory_mb: int = 512
    trigger_dead_letter_queue: str | None = "scheduled-sync-trigger-dlq"
    failure_queue: str | None = "scheduled-sync-failures"  # Lambda's on-failure destination
    retry: TriggerRetryPolicy = field(default_factory=TriggerRetryPolicy)
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)
    reserved_concurrency: int | None = None
    flexible_window_minutes: int = 0  # Scheduler only
    scheduler_input: str | None = None  # Scheduler Target.Input; None: the default envelope
    action_after_completion: str = "NONE"  # Scheduler: NONE or DELETE
    # The seed's configuration; table names, secret and API URL are filled in at deploy.
    environment: dict[str, str] = field(
        default_factory=lambda: {
            "ENV": "dev",
            "LOG_LEVEL": "INFO",
            "ENABLE_BATCH_PROCESSING": "true",
            "BATCH_SIZE": "4",
            "KEEP_RECORDS_DAYS": "90",
        }
    )


@dataclass(frozen=True)
class Deployed:
    spec: StackSpec
    function_arn: str
    trigger_arn: str  # the EventBridge rule's or the Scheduler schedule's ARN
    schedule: Schedule
    environment: dict[str, str]
    account: str
    region: str

    def event(self, event_id: str, time: datetime) -> dict[str, Any]:
        """The payload the rule or Scheduler schedule delivers for the occurrence `time`."""
        return scheduled_event(
            event_id=event_id,
            trigger_arn=self.trigger_arn,
            account=self.account,
            region=self.region,
            time=time,
            kind=self.schedule.kind,
        )

    def function(self, overrides: Mapping[str, str] | None = None) -> FunctionSpec:
        """What an executor needs to run the deployed function, with variables overridden."""
        return FunctionSpec(
            name=self.spec.function_name,
            arn=self.function_arn,
            handler=self.spec.handler,
            timeout_seconds=self.spec.timeout_seconds,
            memory_mb=self.spec.memory_mb,
            environment={**self.environment, **(overrides or {})},
        )


def provision(
    backend: AwsBackend,
    spec: StackSpec,
    *,
    schedule: Schedule,
    api_url: str,
    api_token: str,
) -> Deployed:
    region = backend.region
    _create_tables(backend.client("dynamodb"), spec)
    backend.client("secretsmanager").create_secret(
        Name=spec.secret_name, SecretString=json.dumps({"token": api_token})
    )
    role_arn = _create_role(backend, spec.role_name, "lambda.amazonaws.com")
    environment = {
        **spec.environment,
        "REGION": region,
        "EXTERNAL_API_URL": api_url,
        "RECORDS_TABLE": spec.records_table,
        "SYNC_TABLE": spec.sync_table,
        "API_TOKEN_SECRET_ID": spec.secret_name,
    }
    queues = {
        name: _create_queue(backend, name)
        for name in (spec.trigger_dead_letter_queue, spec.failure_queue)
        if name is not None
    }
    lam = backend.client("lambda")
    function_arn = lam.create_function(
        FunctionName=spec.function_name,
        Runtime=RUNTIME,
        Role=role_arn,
        Handler=spec.handler,
        Code={
            "ZipFile": build_function_zip(spec.code_dir, base=spec.code_dir)
            if spec.code_dir
            else build_function_zip()
        },
        Timeout=spec.timeout_seconds,
        MemorySize=spec.memory_mb,
        Environment={"Variables": environment},
    )["FunctionArn"]
    invoke_config: dict[str, Any] = {
        "FunctionName": spec.function_name,
        "MaximumRetryAttempts": spec.async_config.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": spec.async_config.maximum_event_age_seconds,
    }
    if spec.failure_queue is not None:
        invoke_config["DestinationConfig"] = {
            "OnFailure": {"Destination": queues[spec.failure_queue]}
        }
    lam.put_function_event_invoke_config(**invoke_config)
    if spec.reserved_concurrency is not None:
        lam.put_function_concurrency(
            FunctionName=spec.function_name,
            ReservedConcurrentExecutions=spec.reserved_concurrency,
        )
    dead_letter = queues.get(spec.trigger_dead_letter_queue or "")
    if schedule.kind == "rule":
        trigger_arn = _create_rule(backend, spec, schedule, function_arn, dead_letter)
    else:
        trigger_arn = _create_scheduler_schedule(backend, spec, schedule, function_arn, dead_letter)
    return Deployed(spec, function_arn, trigger_arn, schedule, environment, backend.account, region)


def _retry_policy(spec: StackSpec) -> dict[str, int]:
    return {
        "MaximumRetryAttempts": spec.retry.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": spec.retry.maximum_event_age_seconds,
    }


def _create_queue(backend: AwsBackend, name: str) -> str:
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return arn


def _create_rule(
    backend: AwsBackend,
    spec: StackSpec,
    schedule: Schedule,
    target: str,
    dead_letter: str | None,
) -> str:
    events = backend.client("events")
    rule_arn: str = events.put_rule(
        Name=spec.rule_name,
        ScheduleExpression=schedule.text,
        State="ENABLED",
        Description="Scheduled data synchronization",
    )["RuleArn"]
    entry: dict[str, Any] = {
        "Id": "sync-function",
        "Arn": target,
        "RetryPolicy": _retry_policy(spec),
    }
    if dead_letter is not None:
        entry["DeadLetterConfig"] = {"Arn": dead_letter}
    events.put_targets(Rule=spec.rule_name, Targets=[entry])
    backend.client("lambda").add_permission(
        FunctionName=spec.function_name,
        StatementId="allow-eventbridge-rule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    return rule_arn


def _create_scheduler_schedule(
    backend: AwsBackend,
    spec: StackSpec,
    schedule: Schedule,
    target: str,
    dead_letter: str | None,
) -> str:
    role_arn = _create_role(backend, f"{spec.rule_name}-scheduler", "scheduler.amazonaws.com")
    window = spec.flexible_window_minutes
    request: dict[str, Any] = {
        "Name": spec.rule_name,
        "ScheduleExpression": schedule.text,
        "ScheduleExpressionTimezone": schedule.zone.key,
        "FlexibleTimeWindow": (
            {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": window} if window else {"Mode": "OFF"}
        ),
        "Target": {"Arn": target, "RoleArn": role_arn, "RetryPolicy": _retry_policy(spec)},
        "State": "ENABLED",
        "ActionAfterCompletion": spec.action_after_completion,
    }
    if dead_letter is not None:
        request["Target"]["DeadLetterConfig"] = {"Arn": dead_letter}
    if spec.scheduler_input is not None:
        request["Target"]["Input"] = spec.scheduler_input
    if schedule.start_date is not None:
        request["StartDate"] = schedule.start_date
    if schedule.end_date is not None:
        request["EndDate"] = schedule.end_date
    arn: str = backend.client("scheduler").create_schedule(**request)["ScheduleArn"]
    return arn


def _create_role(backend: AwsBackend, name: str, principal: str) -> str:
    arn: str = backend.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": principal},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    return arn


def _create_tables(dynamodb: Any, spec: StackSpec) -> None:
    dynamodb.create_table(
        TableName=spec.records_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "activeWeek", "AttributeType": "S"},
            {"AttributeName": "updatedAt", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "retention-index",
                "KeySchema": [
                    {"AttributeName": "activeWeek", "KeyType": "HASH"},
                    {"AttributeName": "updatedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    dynamodb.create_table(
        TableName=spec.sync_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "syncId", "AttributeType": "S"},
            {"AttributeName": "cursorSource", "AttributeType": "S"},
            {"AttributeName": "windowTo", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "syncId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "cursor-index",
                "KeySchema": [
                    {"AttributeName": "cursorSource", "KeyType": "HASH"},
                    {"AttributeName": "windowTo", "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": ["retentionCutoff"],
                },
            }
        ],
    )
