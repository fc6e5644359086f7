"""Backends that run functions themselves: LocalStack at its endpoint, and AWS.

`RemoteBackend` is what the deploy and the harness need of either: clients, the account
and the region. `wait_for_localstack` polls LocalStack's health endpoint until the
services the stack needs are up. (`runtime.lambda_invoke` runs the function there.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import boto3
import httpx
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
)

from ..errors import BadInput

DEFAULT_LOCALSTACK = "http://127.0.0.1:4566"
# Every service the deploy template's resources (and the deploy itself) use.
STACK_SERVICES = (
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "events",
    "iam",
    "lambda",
    "logs",
    "s3",
    "scheduler",
    "secretsmanager",
    "sqs",
    "sts",
)
_READY = ("available", "running")
_REPORT = re.compile(r"Duration: ([\d.]+) ms")


class RemoteBackend:
    """LocalStack (an endpoint URL, test credentials) or AWS (the credential chain)."""

    def __init__(self, name: str, *, endpoint_url: str | None, region: str | None) -> None:
        self.name = name
        self.endpoint_url = endpoint_url
        if endpoint_url is not None:  # LocalStack takes any credentials
            self._session = boto3.session.Session(
                aws_access_key_id="test", aws_secret_access_key="test", region_name=region
            )
        else:
            try:
                self._session = boto3.session.Session(region_name=region)
            except ProfileNotFound as exc:
                raise BadInput(
                    f"AWS profile {exc.kwargs.get('profile')!r} is not configured: check"
                    " AWS_PROFILE and ~/.aws/config (`aws configure list-profiles`)"
                ) from None
            except BotoCoreError as exc:  # an unreadable config file, say
                reason = " ".join(str(exc).split())
                raise BadInput(f"the AWS configuration cannot be read: {reason}") from None
        if endpoint_url is None and self._session.region_name is None:
            raise BadInput("no AWS region set: pass --region, or set AWS_REGION or a profile's")
        self.region = self._session.region_name or "us-east-1"  # LocalStack's default
        self._clients: dict[str, Any] = {}
        self._account: str | None = None

    @property
    def account(self) -> str:
        if self._account is None:
            try:
                self._account = str(self.client("sts").get_caller_identity()["Account"])
            except NoCredentialsError:
                raise BadInput(
                    "no AWS credentials found: run `aws configure` or `aws sso login`, or set"
                    " AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                ) from None
            except (ClientError, BotoCoreError) as exc:
                reason = " ".join(str(exc).split())
                raise BadInput(f"{self.name} did not say who we are (STS): {reason}") from None
        return self._account

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                config=BotoConfig(retries={"mode": "standard"}, read_timeout=910),
            )
        return self._clients[service]


def wait_for_localstack(
    endpoint_url: str,
    *,
    timeout: float = 120.0,
    services: Iterable[str] = STACK_SERVICES,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    """Poll `/_localstack/health` until every service is available or running; the
    services' states. LocalStack starts services lazily: `available` is ready."""
    url = endpoint_url.rstrip("/") + "/_localstack/health"
    deadline = now() + timeout
    reason = "it did not answer"
    while True:
        try:
            answer = httpx.get(url, timeout=5.0)
            states = dict(answer.json().get("services", {})) if answer.is_success else {}
            if not answer.is_success:
                reason = f"its health check answered HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            states, reason = {}, f"it did not answer ({type(exc).__name__})"
        except ValueError:
            states, reason = {}, "its health check did not answer JSON"
        if states:
            known = {s: states.get(s, "disabled") for s in services}
            waiting = {s: state for s, state in known.items() if state not in _READY}
            if not waiting:
                return known
            reason = ", ".join(f"{s} is {state}" for s, state in sorted(waiting.items()))
            if "disabled" in waiting.values():  # not in SERVICES: it will never come up
                raise BadInput(
                    f"LocalStack at {endpoint_url} does not run every service the stack needs"
                    f" ({reason}); add them to SERVICES (docker-compose.yml has the list)"
                )
        if now() >= deadline:
            raise BadInput(
                f"LocalStack at {endpoint_url} was not healthy within {timeout:g} s: {reason};"
                " start it with `make up` (needs Docker and LOCALSTACK_AUTH_TOKEN) and see"
                " `make logs`"
            )
        sleep(1.0)
