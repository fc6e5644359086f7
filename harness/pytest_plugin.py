"""pytest plugin (registered through the `pytest11` entry point): fixtures for testing a
scheduled Lambda function through weeks of its schedule, with faults, in seconds.

    def test_the_sync_survives_an_outage(run_schedule, api_faults, aws_faults):
        api_faults.add({"status": 503}, {"window": {"from": "10d", "to": "13d"}})
        aws_faults.add({"error": "ThrottlingException"}, {"operation": "dynamodb:BatchWriteItem"})
        report = run_schedule("cron(0 2 * * ? *)", days=30)
        report.assert_nothing_lost()
        report.assert_no_duplicates()

Fixtures: `harness_backend` (the embedded AWS, one per session, reset per run),
`virtual_clock`, `api_faults`, `aws_faults`, `scheduled_function` (override it, or set
the `scheduled_handler` / `scheduled_code_dir` ini options, to fire your own handler)
and `run_schedule`. Heavy imports wait until a fixture is used, so the plugin costs
nothing to test sessions that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .aws.embedded import EmbeddedBackend
    from .clock import VirtualClock
    from .testing import FaultRules, ScheduledFunction, ScheduleReport


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "scheduled_handler",
        "handler run_schedule fires (package.module.function); the harness's own function"
        " when unset",
        default="",
    )
    parser.addini(
        "scheduled_template",
        "the CloudFormation or SAM template run_schedule deploys, relative to the rootdir;"
        " the harness's own when unset",
        default="",
    )
    parser.addini(
        "scheduled_data",
        "a --data directory loaded after the deploy, relative to the rootdir",
        default="",
    )
    parser.addini(
        "scheduled_code_dir",
        "directory holding the handler's code (its deployment package root), relative to"
        " the rootdir",
        default="",
    )


@pytest.fixture(scope="session")
def harness_backend() -> Iterator[EmbeddedBackend]:
    """The embedded AWS (moto on loopback), started once for the session."""
    from .aws.embedded import EmbeddedBackend

    with EmbeddedBackend() as backend:
        yield backend


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """The clock run_schedule drives: a run starts at its time (1 January 2026 unless
    moved) and leaves it at the run's end."""
    from .clock import VirtualClock
    from .runner import DEFAULT_START

    return VirtualClock(DEFAULT_START)


@pytest.fixture
def api_faults() -> FaultRules:
    """Fault rules for the external (mock) API: `api_faults.add(fault, match)`,
    `api_faults.load("flaky")`."""
    from .testing import FaultRules

    return FaultRules("api")


@pytest.fixture
def aws_faults() -> FaultRules:
    """Fault rules for the function's AWS calls, applied by the AWS fault proxy:
    `aws_faults.add({"unprocessed": 10}, {"operation": "dynamodb:BatchWriteItem"})`."""
    from .testing import FaultRules

    return FaultRules("aws")


@pytest.fixture
def scheduled_function(request: pytest.FixtureRequest) -> ScheduledFunction:
    """The function under test. Override this fixture in conftest.py to fire your own
    handler with its own environment, or set the ini options."""
    from .testing import ScheduledFunction

    root = Path(str(request.config.rootpath))

    def path(option: str) -> Path | None:
        value = str(request.config.getini(option) or "")
        return root / value if value else None

    handler = str(request.config.getini("scheduled_handler") or "") or None
    return ScheduledFunction(
        handler=handler,
        code_dir=path("scheduled_code_dir"),
        template=path("scheduled_template"),
        data=path("scheduled_data"),
    )


@pytest.fixture
def run_schedule(
    harness_backend: EmbeddedBackend,
    virtual_clock: VirtualClock,
    api_faults: FaultRules,
    aws_faults: FaultRules,
    scheduled_function: ScheduledFunction,
    tmp_path: Path,
) -> Callable[..., ScheduleReport]:
    """`run_schedule(schedule="cron(0 2 * * ? *)", days=30, seed=1, **options)` fires
    the function by the schedule on the virtual clock, with the faults added so far,
    and returns a ScheduleReport. A fault rule that never applied fails the test
    (pass `require_faults=False` when that is the point)."""
    from .testing import CheckFailed, FaultsNotApplied, ScenarioRunner

    runner = ScenarioRunner(harness_backend, tmp_path)

    def run_schedule(schedule: str = "cron(0 2 * * ? *)", **options: Any) -> ScheduleReport:
        options.setdefault("function", scheduled_function)
        options.setdefault("api_faults", api_faults)
        options.setdefault("aws_faults", aws_faults)
        options.setdefault("clock", virtual_clock)
        try:
            return runner.run(schedule, **options)
        except (FaultsNotApplied, CheckFailed) as exc:
            pytest.fail(str(exc), pytrace=False)

    return run_schedule
