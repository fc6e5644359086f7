"""Shared fixtures: one embedded AWS per test session, a fresh stack per test."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.aws.embedded import EmbeddedBackend
from harness.clock import VirtualClock
from harness.deploy.provision import Deployed, StackSpec, provision
from harness.report.document import plain
from harness.runtime import function_runtime
from harness.runtime.base import InvocationResult
from harness.runtime.events import seeded_uuid
from harness.runtime.inprocess import InProcessExecutor
from harness.schedules import Schedule
from mock_api import BackgroundServer, Dataset, create_app

START = datetime(2026, 3, 1, tzinfo=UTC)
TOKEN = "tok_test_secret_value_1234"


@dataclass
class Stack:
    backend: EmbeddedBackend
    clock: VirtualClock
    dataset: Dataset
    deployed: Deployed
    executor: InProcessExecutor
    rng: random.Random

    def invoke(self, at: datetime, *, request_id: str | None = None) -> InvocationResult:
        """Deliver the scheduled event for `at`, as the rule would."""
        if at > self.clock.now():
            self.clock.advance_to(at)
        event = self.deployed.event(seeded_uuid(self.rng), at)
        return self.executor.invoke(event, request_id or seeded_uuid(self.rng))

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        key = "id" if name == self.deployed.spec.records_table else "syncId"
        deserializer = TypeDeserializer()
        items = (
            plain({k: deserializer.deserialize(v) for k, v in raw.items()})
            for raw in self.backend.table_items(name)
        )
        return {item[key]: item for item in items}

    def records(self) -> dict[str, dict[str, Any]]:
        return self.table(self.deployed.spec.records_table)

    def syncs(self) -> dict[str, dict[str, Any]]:
        return {
            key: item
            for key, item in self.table(self.deployed.spec.sync_table).items()
            if not key.startswith(("lease#", "quarantine#"))
        }


pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    # The plugin comes from its entry point once the project is installed (make test
    # does it); from a bare checkout on PYTHONPATH, load it from here.
    if not config.pluginmanager.has_plugin("scheduled_lambda"):
        import harness.pytest_plugin

        config.pluginmanager.register(harness.pytest_plugin, "scheduled_lambda")


@pytest.fixture(scope="session")
def backend(harness_backend: EmbeddedBackend) -> EmbeddedBackend:
    """The plugin's embedded AWS: moto's state is per process, so one server serves all."""
    return harness_backend


MakeStack = Callable[..., Any]


@pytest.fixture
def make_stack(backend: EmbeddedBackend) -> Iterator[MakeStack]:
    """`with make_stack(env={...}, app=...) as stack:` a freshly provisioned stack."""

    @contextmanager
    def factory(
        *,
        env: dict[str, str] | None = None,
        app: Any = None,
        changes_per_day: int = 40,
        seed: int = 7,
        timeout_seconds: int = 300,
        token: str = TOKEN,
    ) -> Iterator[Stack]:
        backend.reset()
        clock = VirtualClock(START)
        dataset = Dataset(seed=seed, origin=START, changes_per_day=changes_per_day)
        api_app = app or create_app(dataset, token=token, clock=clock)
        with BackgroundServer(api_app) as api:
            spec = StackSpec(timeout_seconds=timeout_seconds)
            deployed = provision(
                backend,
                spec,
                schedule=Schedule.parse("cron(0 2 * * ? *)", created=START),
                api_url=api.url,
                api_token=token,
            )
            with (
                function_runtime(clock),
                InProcessExecutor(
                    deployed.function(env), clock=clock, runtime_environment=backend.environment()
                ) as executor,
            ):
                yield Stack(backend, clock, dataset, deployed, executor, random.Random(1))

    yield factory


@pytest.fixture
def stack(make_stack: MakeStack) -> Iterator[Stack]:
    with make_stack() as built:
        yield built
