"""The resources a deploy creates, provisioned through the service APIs.

Tables (with their sparse indexes), the API token secret, the function's role and the
function itself (the same zip a deploy uploads), and the EventBridge rule targeting it
with its invoke permission.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from .package import build_function_zip

HANDLER = "function.handler.lambda_handler"
RUNTIME = "python3.12"


class AwsBackend(Protocol):
    region: str
    account: str

    def client(self, service: str) -> Any: ...


@dataclass(frozen=True)
class StackSpec:
    function_name: str = "scheduled-sync"
    records_table: str = "SyncRecords"
    sync_table: str = "DailySync"
    rule_name: str = "daily-data-sync"
    secret_name: str = "external-api-token"
    role_name: str = "scheduled-sync-role"
    timeout_seconds: int = 300
    memory_mb: int = 512
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
    rule_arn: str
    schedule_expression: str
    environment: dict[str, str]


def provision(
    backend: AwsBackend,
    spec: StackSpec,
    *,
    schedule_expression: str,
    api_url: str,
    api_token: str,
) -> Deployed:
    region = backend.region
    _create_tables(backend.client("dynamodb"), spec)
    backend.client("secretsmanager").create_secret(
        Name=spec.secret_name, SecretString=json.dumps({"token": api_token})
    )
    role_arn = backend.client("iam").create_role(
        RoleName=spec.role_name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    environment = {
        **spec.environment,
        "REGION": region,
        "EXTERNAL_API_URL": api_url,
        "RECORDS_TABLE": spec.records_table,
        "SYNC_TABLE": spec.sync_table,
        "API_TOKEN_SECRET_ID": spec.secret_name,
    }
    lam = backend.client("lambda")
    function_arn = lam.create_function(
        FunctionName=spec.function_name,
        Runtime=RUNTIME,
        Role=role_arn,
        Handler=HANDLER,
        Code={"ZipFile": build_function_zip()},
        Timeout=spec.timeout_seconds,
        MemorySize=spec.memory_mb,
        Environment={"Variables": environment},
    )["FunctionArn"]
    events = backend.client("events")
    rule_arn = events.put_rule(
        Name=spec.rule_name,
        ScheduleExpression=schedule_expression,
        State="ENABLED",
        Description="Scheduled data synchronization",
    )["RuleArn"]
    events.put_targets(Rule=spec.rule_name, Targets=[{"Id": "sync-function", "Arn": function_arn}])
    lam.add_permission(
        FunctionName=spec.function_name,
        StatementId="allow-eventbridge-rule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    return Deployed(spec, function_arn, rule_arn, schedule_expression, environment)


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
