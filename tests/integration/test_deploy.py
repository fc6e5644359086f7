"""The deploy template: it lints clean, deploys to the embedded AWS as written (least
privilege, alarms, both trigger variants), drives `harness run`, and its mistakes are
one line each."""

from __future__ import annotations

import importlib.metadata
import json
import os
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from cfnlint.api import lint_file

from harness.aws.embedded import EmbeddedBackend
from harness.deploy.cloudformation import Template, TemplateError
from harness.deploy.provision import StackSpec
from harness.deploy.stacks import DEFAULT_TEMPLATE, StackDeployment, deploy_to_embedded
from harness.runner import RunOptions, run
from harness.schedules import Schedule

from .cli import harness

START = "2026-03-01T00:00:00Z"


def deploy(backend: EmbeddedBackend, tz: str = "UTC") -> StackDeployment:
    backend.reset()
    spec = StackSpec()
    schedule = Schedule.parse(
        "cron(0 2 * * ? *)", timezone=tz, created=datetime(2026, 3, 1, tzinfo=UTC)
    )
    parameters = spec.parameters(schedule, "http://127.0.0.1:9", "tok")
    return deploy_to_embedded(backend, Template.load(DEFAULT_TEMPLATE), parameters, spec.code())


def test_the_template_passes_cfn_lint() -> None:
    assert [str(match) for match in lint_file(DEFAULT_TEMPLATE)] == []


def test_the_rule_variant_deploys_every_resource(backend: EmbeddedBackend) -> None:
    stack = deploy(backend)

    types = sorted(r.type for r in stack.resources)
    assert types == sorted(
        [
            "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::Alarm",
            "AWS::DynamoDB::Table",
            "AWS::DynamoDB::Table",
            "AWS::Events::Rule",
            "AWS::IAM::Role",
            "AWS::Lambda::EventInvokeConfig",
            "AWS::Lambda::Function",
            "AWS::Lambda::Permission",
            "AWS::Logs::LogGroup",
            "AWS::SQS::Queue",
            "AWS::SQS::Queue",
            "AWS::SQS::QueuePolicy",
            "AWS::SecretsManager::Secret",
        ]
    )
    function = backend.client("lambda").get_function_configuration(FunctionName="scheduled-sync")
    assert function["Runtime"] == "python3.12"
    assert (function["MemorySize"], function["Timeout"]) == (512, 300)
    variables = function["Environment"]["Variables"]
    assert {k: variables[k] for k in ("ENV", "BATCH_SIZE", "KEEP_RECORDS_DAYS")} == {
        "ENV": "dev",
        "BATCH_SIZE": "4",
        "KEEP_RECORDS_DAYS": "30",
    }
    indexes = backend.client("dynamodb").describe_table(TableName="SyncRecords")["Table"]
    assert [i["IndexName"] for i in indexes["GlobalSecondaryIndexes"]] == ["retention-index"]
    assert stack.outputs["TriggerArn"].endswith(":rule/daily-data-sync")


def test_the_scheduler_variant_carries_its_time_zone(backend: EmbeddedBackend) -> None:
    stack = deploy(backend, tz="Europe/Berlin")

    [name] = stack.of_type("AWS::Scheduler::Schedule")
    schedule = backend.client("scheduler").get_schedule(Name=name)
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 185
    assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith(":scheduled-sync-trigger-dlq")
    assert stack.of_type("AWS::Events::Rule") == []


def test_the_function_role_allows_exactly_the_calls_it_makes(backend: EmbeddedBackend) -> None:
    stack = deploy(backend)
    iam = backend.client("iam")
    [role] = [r.physical_id for r in stack.resources if r.logical_id == "FunctionRole"]
    [name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    statements = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]

    granted: dict[str, list[str]] = {}
    for statement in statements:
        for action in _listed(statement["Action"]):
            granted[action] = sorted([*granted.get(action, []), *_listed(statement["Resource"])])
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table"
    assert set(granted) == {
        "dynamodb:BatchWriteItem",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "secretsmanager:GetSecretValue",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
    }
    assert not any("*" in action for action in granted)
    assert granted["dynamodb:BatchWriteItem"] == [f"{arn}/SyncRecords"]
    assert granted["dynamodb:PutItem"] == [f"{arn}/DailySync"]
    assert granted["dynamodb:Query"] == [  # the function queries its indexes only
        f"{arn}/DailySync/index/cursor-index",
        f"{arn}/SyncRecords/index/retention-index",
    ]
    assert granted["secretsmanager:GetSecretValue"][0].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:external-api-token"
    )


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_the_seed_alarms_watch_errors_and_duration(backend: EmbeddedBackend) -> None:
    deploy(backend)

    alarms = {
        a["AlarmName"]: a for a in backend.client("cloudwatch").describe_alarms()["MetricAlarms"]
    }
    errors, duration = alarms["scheduled-sync-errors"], alarms["scheduled-sync-duration"]
    assert (errors["MetricName"], errors["Threshold"], errors["EvaluationPeriods"]) == (
        "Errors",
        1.0,
        1,
    )
    assert errors["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # The threshold is the function's timeout: only >= can ever trip.
    assert duration["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (duration["MetricName"], duration["Threshold"], duration["EvaluationPeriods"]) == (
        "Duration",
        300000.0,
        2,
    )
    assert duration["Dimensions"] == [{"Name": "FunctionName", "Value": "scheduled-sync"}]


def test_harness_run_drives_a_users_template(tmp_path: Path) -> None:
    """A team's own template (here: ours with a smaller function, fixed in the template
    rather than a parameter) is deployed and read back by `harness run --template`."""
    template = tmp_path / "team.yaml"
    text = DEFAULT_TEMPLATE.read_text()
    template.write_text(
        text.replace("      MemorySize: !Ref MemorySize\n", "      MemorySize: 256\n")
    )

    result = harness(
        "run",
        "--days",
        "3",
        "--start",
        START,
        "--template",
        str(template),
        "--retry-attempts",
        "4",
        "--report-dir",
        str(tmp_path / "out"),
        "--no-progress",
    )

    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["delivery"]["retry_policy"]["maximum_retry_attempts"] == 4
    assert report["function"]["memory_mb"] == 256
    assert report["totals"]["succeeded"] == 3
    assert report["truth"]["ok"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources: [", "not valid YAML or JSON"),
        ("Parameters: {}\n", "needs a Resources mapping"),
        (
            "Resources:\n  Q:\n    Type: AWS::Nowhere::Thing\n",
            "Q is a AWS::Nowhere::Thing, which neither the embedded deploy nor moto's",
        ),
        ("Resources:\n  Q:\n    Type: AWS::EC2::Instance\n", "needs the property ImageId"),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
            "      QueueName: !Ref Nowhere\n",
            "Ref Nowhere names no parameter or resource",
        ),
        (
            "Parameters:\n  Size:\n    Type: Number\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n",
            "parameter Size needs a value",
        ),
        ("Transform: AWS::Include\nResources: {}\n", "is a macro the embedded deploy cannot"),
        (
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
            "    Type: AWS::Serverless::Function\n    Properties: {CodeUri: nowhere/}\n",
            "F CodeUri 'nowhere/' is not a directory",
        ),
        (
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
            "    Type: AWS::Serverless::Function\n    Properties: {InlineCode: x}\n",
            "not a valid SAM template",
        ),
    ],
)
def test_a_template_mistake_is_one_line_and_exit_2(tmp_path: Path, body: str, message: str) -> None:
    template = tmp_path / "bad.yaml"
    template.write_text(body)

    result = harness("deploy", "--template", str(template))

    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("harness: error: ")


def test_a_missing_template_is_one_line(tmp_path: Path) -> None:
    result = harness("run", "--template", str(tmp_path / "nope.yaml"), "--days", "1")

    assert result.returncode == 2
    assert "cannot read template" in result.stderr


def test_intrinsic_functions_resolve_as_cloudformation_does(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Parameters:\n  Env: {Type: String, Default: prod}\n"
        "Conditions:\n  Prod: !Equals [!Ref Env, prod]\n"
        "Mappings:\n  Sizes: {prod: {mb: 1024}}\n"
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        "Outputs:\n"
        "  Sub: {Value: !Sub '${AWS::Region}-${Env}-${!Literal}'}\n"
        "  Join: {Value: !Join ['/', [a, !Select [1, !Split [',', 'x,y,z']]]]}\n"
        "  If: {Value: !If [Prod, !FindInMap [Sizes, !Ref Env, mb], small]}\n"
        "  Dated: {Value: 2026-03-01}\n"
    )
    stack = Template.load(template).stack("s", {"Env": "prod"}, "123456789012", "eu-west-1")

    assert stack.outputs() == {
        "Sub": "eu-west-1-prod-${Literal}",
        "Join": "a/y",
        "If": "1024",
        "Dated": "2026-03-01",
    }


def test_resources_that_refer_to_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n"
        "  A: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt B.QueueName}}\n"
        "  B: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt A.QueueName}}\n"
    )
    stack = Template.load(template).stack("s", {}, "123456789012", "us-east-1")

    with pytest.raises(TemplateError, match="in a circle"):
        stack.included()


def test_the_zip_imports_cleanly_where_only_the_lambda_runtime_is(tmp_path: Path) -> None:
    """A fresh virtual environment with nothing installed, plus the packages Lambda's
    python3.12 runtime ships (boto3 and its dependencies): the zip alone must supply the
    rest of what the handler imports."""
    import subprocess
    import venv

    from harness.deploy.package import RUNTIME_PROVIDES, build_function_zip

    code = build_function_zip()
    names = zipfile.ZipFile(BytesIO(code)).namelist()
    assert "function/handler.py" in names
    assert any(n.startswith("httpx/") for n in names)  # the runtime has no httpx
    assert not any(n.startswith(("boto3/", "botocore/")) for n in names)  # the runtime has

    unpacked = tmp_path / "task"
    zipfile.ZipFile(BytesIO(code)).extractall(unpacked)
    runtime = tmp_path / "runtime"  # what Lambda ships, copied from this environment
    for name in RUNTIME_PROVIDES:
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or []:
            if not str(file).startswith(".."):
                target = runtime / str(file)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(Path(str(distribution.locate_file(file))).read_bytes())
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"

    check = subprocess.run(
        [str(python), "-c", "import function.handler, httpx; print(httpx.__file__)"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{unpacked}{os.pathsep}{runtime}", "PATH": os.environ["PATH"]},
        cwd=tmp_path,
        check=False,
    )

    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().startswith(str(unpacked))


def test_every_aws_call_the_function_makes_is_granted_by_its_role(
    tmp_path: Path, backend: EmbeddedBackend
) -> None:
    """moto does not enforce IAM, so the calls are watched instead: an AWS rule that
    never applies puts the fault proxy in front of the function, whose journal names
    every call it made (retention included: records are kept 2 days here)."""
    watch = tmp_path / "watch.yaml"
    watch.write_text(
        "aws:\n  - match: {operation: 'sts:Never'}\n    fault: {error: ThrottlingException}\n"
    )
    options = RunOptions(
        start=datetime(2026, 3, 1, tzinfo=UTC),
        days=5,
        faults=str(watch),
        environment={"KEEP_RECORDS_DAYS": "2"},
        report_dir=tmp_path / "out",
        show_progress=False,
    )

    result = run(options, backend=backend)

    made = {entry.path for entry in result.aws_journal}
    iam = backend.client("iam")
    role = result.report["function"]["name"]  # the role is found through the function
    role_arn = backend.client("lambda").get_function_configuration(FunctionName=role)["Role"]
    role_name = role_arn.rsplit("/", 1)[-1]
    granted = {
        action
        for policy in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        for statement in iam.get_role_policy(RoleName=role_name, PolicyName=policy)[
            "PolicyDocument"
        ]["Statement"]
        for action in _listed(statement["Action"])
    }
    assert {"dynamodb:BatchWriteItem", "dynamodb:Query", "secretsmanager:GetSecretValue"} <= made
    assert made <= granted, f"calls the role does not allow: {sorted(made - granted)}"


def test_param_names_are_checked_against_the_template_and_the_options() -> None:
    unknown = harness("deploy", "--param", "Timout=10")
    owned = harness("deploy", "--param", "ScheduleTimezone=Bad/Zone")

    assert unknown.returncode == owned.returncode == 2
    assert "--param Timout: template.yaml has no such parameter" in unknown.stderr
    assert "--param ScheduleTimezone is set by --tz; use that instead" in owned.stderr


def test_sub_variables_are_not_dependencies(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n"
        "  Q: {Type: AWS::SQS::Queue}\n"
        "  R:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      QueueName: !Sub ['${Q}-${Name}', {Name: !GetAtt Q.QueueName}]\n"
    )
    stack = Template.load(template).stack("s", {}, "123456789012", "us-east-1")

    assert stack.included() == ["Q", "R"]


def test_a_malformed_intrinsic_is_one_line(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      QueueName: !Select [5, [a, b]]\n"
    )

    result = harness("deploy", "--template", str(template))

    assert result.returncode == 2
    assert "Q: a malformed value or intrinsic function (IndexError" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
