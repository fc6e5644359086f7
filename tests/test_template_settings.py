"""What the template deploys beyond the function: a secret any token round-trips
through, encrypted queues, point-in-time recovery for prod, explicit deletion policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from harness.aws.embedded import EmbeddedBackend
from harness.deploy.cloudformation import Template
from harness.deploy.provision import StackSpec
from harness.deploy.stacks import DEFAULT_TEMPLATE, deploy_to_embedded
from harness.schedules import Schedule

from .conftest import START, MakeStack


def test_a_token_with_quotes_and_backslashes_round_trips_to_the_api(make_stack: MakeStack) -> None:
    token = 'tok "quoted" \\ back{slash}'
    with make_stack(token=token) as stack:
        secret = stack.backend.client("secretsmanager").get_secret_value(
            SecretId=stack.deployed.stack.outputs.get("SecretName", "external-api-token")
        )
        result = stack.invoke(START + timedelta(hours=2))

    assert secret["SecretString"] == token
    assert result.status == "succeeded", result.error  # the API took the bearer token


def test_queues_are_encrypted_and_every_stateful_resource_says_what_deletion_does() -> None:
    body: dict[str, Any] = Template.parse(DEFAULT_TEMPLATE).body
    resources = body["Resources"]
    queues = [r for r in resources.values() if r["Type"] == "AWS::SQS::Queue"]
    stateful = [
        r
        for r in resources.values()
        if r["Type"]
        in (
            "AWS::SQS::Queue",
            "AWS::DynamoDB::Table",
            "AWS::SecretsManager::Secret",
            "AWS::Logs::LogGroup",
        )
    ]

    assert queues and all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues)
    assert all("DeletionPolicy" in r and "UpdateReplacePolicy" in r for r in stateful)


def test_point_in_time_recovery_is_on_for_prod_only(backend: EmbeddedBackend) -> None:
    spec = StackSpec()
    schedule = Schedule.parse("cron(0 2 * * ? *)", created=START)
    statuses = {}
    for env in ("dev", "prod"):
        backend.reset()
        parameters = {**spec.parameters(schedule, "http://127.0.0.1:9", "tok"), "Env": env}
        deploy_to_embedded(backend, Template.load(spec.template), parameters, spec.code())
        backups = backend.client("dynamodb").describe_continuous_backups(TableName="SyncRecords")
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        statuses[env] = recovery["PointInTimeRecoveryStatus"]

    assert statuses == {"dev": "DISABLED", "prod": "ENABLED"}
