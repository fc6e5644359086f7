"""The LocalStack backend's client code (health wait, CloudFormation deploy, Lambda
invoke, live firing) against a loopback stand-in that answers as LocalStack does; and
the AWS target, which refuses to act without --yes and never reaches AWS here."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from harness.aws.embedded import EmbeddedBackend
from harness.aws.remote import STACK_SERVICES, wait_for_localstack
from harness.errors import BadInput
from harness.live import LiveOptions, live
from mock_api import BackgroundServer, Dataset, create_app

from ..localstack_standin import LocalStackStandIn
from .cli import REPO, harness

TOKEN = "tok_live_test"


@pytest.fixture
def localstack(backend: EmbeddedBackend) -> Iterator[LocalStackStandIn]:
    backend.reset()
    with LocalStackStandIn(backend) as standin:
        yield standin


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_health_wait_returns_once_every_service_is_available(
    backend: EmbeddedBackend,
) -> None:
    fake = FakeTime()
    with LocalStackStandIn(backend, health=["starting", "starting", "available"]) as standin:
        states = wait_for_localstack(
            standin.url, timeout=30, sleep=fake.sleep, now=lambda: fake.now
        )

    assert states == {service: "available" for service in STACK_SERVICES}
    assert standin.health_polls == 3
    assert fake.sleeps == [1.0, 1.0]


def test_the_health_wait_gives_up_in_one_line(backend: EmbeddedBackend) -> None:
    fake = FakeTime()
    with (
        LocalStackStandIn(backend, health=["starting"]) as standin,
        pytest.raises(BadInput) as caught,
    ):
        wait_for_localstack(standin.url, timeout=5, sleep=fake.sleep, now=lambda: fake.now)

    message = str(caught.value)
    assert "was not healthy within 5 s: cloudformation is starting" in message
    assert "make up" in message and "\n" not in message


def test_a_service_left_out_of_services_is_named_at_once(backend: EmbeddedBackend) -> None:
    with (
        LocalStackStandIn(backend, disabled=["scheduler"]) as standin,
        pytest.raises(BadInput, match=r"scheduler is disabled.*add them to SERVICES"),
    ):
        wait_for_localstack(standin.url, timeout=30, sleep=pytest.fail)


def test_localstack_that_does_not_answer_is_one_line_and_exit_2() -> None:
    result = harness(
        "deploy", "--target", "localstack", "--endpoint-url", "http://127.0.0.1:9", "--wait", "1"
    )

    assert result.returncode == 2
    assert result.stderr.startswith("harness: error: LocalStack at http://127.0.0.1:9")
    assert "it did not answer (ConnectError)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_template_deploys_to_localstack_and_is_read_back(
    localstack: LocalStackStandIn, backend: EmbeddedBackend
) -> None:
    result = harness(
        "deploy", "--target", "localstack", "--endpoint-url", localstack.url,
        "--tz", "Europe/Berlin",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Stack scheduled-sync on LocalStack" in result.stdout
    assert "scheduler cron(0 2 * * ? *) (Europe/Berlin)" in result.stdout
    assert localstack.stacks["scheduled-sync"].status == "CREATE_COMPLETE"
    function = backend.client("lambda").get_function_configuration(FunctionName="scheduled-sync")
    assert function["Environment"]["Variables"]["EXTERNAL_API_URL"] == "http://mock-api:8000"


def test_a_sam_project_deploys_to_localstack_expanded_as_for_the_embedded_aws(
    localstack: LocalStackStandIn, backend: EmbeddedBackend
) -> None:
    result = harness(
        "deploy", "--target", "localstack", "--endpoint-url", localstack.url,
        "--template", str(REPO / "examples" / "sam-cleanup" / "template.yaml"),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Stack sam-cleanup on LocalStack" in result.stdout
    assert "scheduler cron(30 1 * * ? *) (Europe/Paris)" in result.stdout
    body = json.loads(localstack.stacks["sam-cleanup"].template_body)
    assert "Transform" not in body  # CloudFormation got what the translator made of it
    assert body["Resources"]["Cleanup"]["Type"] == "AWS::Lambda::Function"
    code = body["Resources"]["Cleanup"]["Properties"]["Code"]
    zipped = backend.client("s3").get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
    assert "cleanup.py" in zipfile.ZipFile(io.BytesIO(zipped["Body"].read())).namelist()


def test_a_stack_localstack_rolls_back_is_one_line_naming_the_resource(
    localstack: LocalStackStandIn, tmp_path: Path
) -> None:
    template = tmp_path / "bad.yaml"
    template.write_text("Resources:\n  Machine:\n    Type: AWS::EC2::Instance\n")

    result = harness(
        "deploy", "--target", "localstack", "--endpoint-url", localstack.url,
        "--template", str(template), "--stack-name", "scheduled-sync",
    )  # fmt: skip

    assert result.returncode == 2
    assert "stack scheduled-sync did not deploy on LocalStack: Machine" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # CloudFormation cannot update a stack whose first deploy rolled back: say so.
    again = harness("deploy", "--target", "localstack", "--endpoint-url", localstack.url)
    assert again.returncode == 2
    assert "is ROLLBACK_COMPLETE (its first deploy failed)" in again.stderr
    assert "delete-stack --stack-name scheduled-sync" in again.stderr


def test_live_on_localstack_invokes_the_deployed_zip_through_the_lambda_api(
    localstack: LocalStackStandIn, backend: EmbeddedBackend, tmp_path: Path
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    app = create_app(Dataset(seed=3, origin=start), token=TOKEN)
    with BackgroundServer(app) as api:
        result = live(
            LiveOptions(
                backend="localstack",
                endpoint_url=localstack.url,
                api_url=api.url,
                api_token=TOKEN,
                schedule="rate(1 hour)",
                start=start,
                speed=3600,  # an hour a second
                duration=4.5,
                report_dir=tmp_path,
            ),
            Console(file=open(tmp_path / "console.txt", "w")),  # noqa: SIM115
        )

    assert len(result.fires) >= 2
    assert {fire.outcome for fire in result.fires} == {"succeeded"}
    assert localstack.invocations == sum(len(f.attempts) for f in result.fires)
    assert sum(f.records_processed for f in result.fires) > 0
    fires = [json.loads(line) for line in (tmp_path / "fires.jsonl").read_text().splitlines()]
    first_two = sorted(f["scheduled_time"] for f in fires)[:2]  # runs may finish out of order
    assert first_two == ["2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z"]
    # LocalStack's own timer left the rule alone while the harness fired it; back on after.
    rule = backend.client("events").describe_rule(Name="daily-data-sync")
    assert rule["State"] == "ENABLED"


def test_live_on_localstack_needs_an_api_the_containers_reach() -> None:
    result = harness("live", "--backend", "localstack")

    assert result.returncode == 2
    assert "pass --api-url" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "0"], "--speed must be a positive number"),
        (["--speed", "nan"], "--speed must be a positive number"),
        (["--backend", "docker"], "choose embedded or localstack"),
    ],
)
def test_live_bad_input_is_one_line(args: list[str], message: str) -> None:
    result = harness("live", *args)

    assert result.returncode == 2
    assert message in result.stderr


# -- AWS: the target exists, and refuses ------------------------------------------------
NO_CREDENTIALS: dict[str, str | None] = {  # None: unset
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_DEFAULT_PROFILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
    "AWS_WEB_IDENTITY_TOKEN_FILE": None,
}
AWS_ARGS = ["deploy", "--target", "aws", "--api-url", "https://api.example.com"]


def test_aws_without_credentials_is_one_line_and_exit_2() -> None:
    result = harness(*AWS_ARGS, "--api-token", "t", "--region", "us-east-1", env=NO_CREDENTIALS)

    assert result.returncode == 2
    assert "no AWS credentials found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_aws_shows_the_account_and_region_and_refuses_without_yes(
    backend: EmbeddedBackend,
) -> None:
    backend.reset()
    # Credentials, and every AWS endpoint pointed at the embedded moto: even a mistake
    # here could not reach AWS.
    environment: dict[str, str | None] = {
        **NO_CREDENTIALS,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": backend.endpoint_url,
    }

    result = harness(*AWS_ARGS, "--api-token", "t", "--region", "eu-west-1", env=environment)

    assert result.returncode == 2
    assert "AWS account 123456789012, region eu-west-1" in " ".join(result.stdout.split())
    assert "not deploying to AWS account 123456789012 (eu-west-1) without --yes" in result.stderr
    assert backend.client("s3").list_buckets()["Buckets"] == []  # nothing was uploaded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-token", "t"], "needs --api-url"),
        (["--api-url", "http://127.0.0.1:8000", "--api-token", "t"], "loopback"),
        (["--api-url", "https://api.example.com"], "needs --api-token"),
    ],
)
def test_aws_input_is_checked_before_anything_is_asked_of_aws(
    args: list[str], message: str
) -> None:
    result = harness("deploy", "--target", "aws", *args, env=NO_CREDENTIALS)

    assert result.returncode == 2
    assert message in result.stderr
