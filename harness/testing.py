"""What the pytest plugin hands to tests: fault rules to build up, the function to fire,
and a run's report with assertions that say what went wrong.

Usable without pytest too: `ScenarioRunner(backend).run(...)` is what the
`run_schedule` fixture calls.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mock_api import FaultPlan, FaultRuleError, load_faults, parse_plan
from mock_api.rules import AwsRule, DeliveryFaults, Rule

from .aws.embedded import EmbeddedBackend
from .clock import VirtualClock
from .deploy.provision import StackSpec
from .report import Attempt, Fire
from .report.truth import recorded_twice
from .runner import DEFAULT_START, RunOptions, RunResult, run

SYNC_TABLE = StackSpec().sync_table


class FaultRules:
    """Rules for one side: the external API's (`api_faults`) or AWS's (`aws_faults`).

    `add` takes a rule as the rule file writes it and checks it at once, so a typo fails
    the test where it was written, in one line.
    """

    def __init__(self, side: str) -> None:
        if side not in ("api", "aws"):
            raise ValueError("side is 'api' or 'aws'")
        self.side = side
        self._key = "rules" if side == "api" else "aws"  # the side's list in a fault document
        self.rules: list[Rule | AwsRule] = []
        self.delivery: DeliveryFaults | None = None
        self.seed: int | None = None  # a loaded file's dice seed; the run's seed otherwise

    def add(
        self,
        fault: Mapping[str, Any],
        match: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> FaultRules:
        rule = {"fault": dict(fault), "match": dict(match or {}), "name": name}
        plan = parse_plan({self._key: [rule]}, f"{self.side}_faults.add")
        self.rules.extend(getattr(plan, self._key))
        return self

    def load(self, profile_or_path: str | Path) -> FaultRules:
        """Add this side's rules of a named profile or a rule file (its delivery faults
        come along with the API's side)."""
        plan = load_faults(str(profile_or_path))
        rules = getattr(plan, self._key)
        if not rules:
            raise FaultRuleError(
                f"{self.side}_faults.load: {str(profile_or_path)!r} has no `{self._key}` rules"
            )
        self.rules.extend(rules)
        if self.side == "api" and plan.delivery is not None:
            self.delivery = plan.delivery
        self.seed = plan.seed if plan.seed is not None else self.seed
        return self

    def clear(self) -> None:
        self.rules.clear()
        self.delivery = None
        self.seed = None

    def __len__(self) -> int:
        return len(self.rules)


def fault_plan(api: FaultRules, aws: FaultRules) -> FaultPlan:
    """One plan of both sides, thrown on a loaded file's seed if there was one (as
    `harness run --faults FILE` would), else on the run's."""
    return FaultPlan(
        rules=[r for r in api.rules if isinstance(r, Rule)],
        aws=[r for r in aws.rules if isinstance(r, AwsRule)],
        delivery=api.delivery or aws.delivery,
        seed=api.seed if api.seed is not None else aws.seed,
    )


@dataclass(frozen=True)
class ScheduledFunction:
    """The function `run_schedule` fires: ours (the default), or a user's handler
    (`package.module.function`) found in `code_dir`, with extra environment variables;
    or the function of a user's `template` (CloudFormation or SAM), with the stack's
    seed `data` (as `--data` reads it) and a `check` (`module:function`, as `--check`)."""

    handler: str | None = None
    code_dir: Path | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    template: Path | None = None
    data: Path | None = None
    check: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    queue: str  # the queue's ARN
    body: Any  # parsed JSON when it is JSON
    attributes: dict[str, str]


class FaultsNotApplied(AssertionError):
    """A run's fault rules did not all apply (`require_faults`)."""


class CheckFailed(AssertionError):
    """The user's check (`check=`) found the run wrong: its message."""


class ScheduleReport:
    """One run, for assertions: the report, fires and attempts, journals, tables, logs."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self.report: dict[str, Any] = result.report
        self.path: Path = result.report_path

    # -- what happened --------------------------------------------------------------
    @property
    def fires(self) -> list[Fire]:
        return self.result.fires

    @property
    def attempts(self) -> list[Attempt]:
        return [attempt for fire in self.fires for attempt in fire.attempts]

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(fire.outcome for fire in self.fires)

    @property
    def journal(self) -> list[dict[str, Any]]:
        """The external API's requests, as `journal.jsonl` has them."""
        return [entry.to_dict() for entry in self.result.journal]

    @property
    def aws_journal(self) -> list[dict[str, Any]]:
        """The function's AWS calls through the fault proxy (empty without AWS rules)."""
        return [entry.to_dict() for entry in self.result.aws_journal]

    @property
    def dead_letters(self) -> list[DeadLetter]:
        """Every message in the dead-letter and on-failure queues at the end of the run."""
        return [
            DeadLetter(queue, _json_or_text(body), attributes)
            for queue, body, attributes in self.result.queued
        ]

    @property
    def warnings(self) -> list[str]:
        return list(self.report.get("warnings", []))

    def table(self, name: str) -> list[dict[str, Any]]:
        """A table's items at the end of the run, as plain JSON, sorted by key: by its
        name, or by its logical id in the template."""
        name = self.result.resources.get(name, name)
        if name not in self.result.tables:
            known = ", ".join(sorted(self.result.tables)) or "none"
            raise KeyError(f"no table {name!r} at the end of the run (tables: {known})")
        return self.result.tables[name]

    def objects(self, bucket: str) -> dict[str, bytes]:
        """A bucket's objects at the end of the run (key -> bytes): by its name, or by
        its logical id in the template."""
        name = self.result.resources.get(bucket, bucket)
        root = self.path.parent / "buckets" / name
        if name not in self.report.get("buckets", {}):
            known = ", ".join(sorted(self.report.get("buckets", {}))) or "none"
            raise KeyError(f"no bucket {bucket!r} at the end of the run (buckets: {known})")
        return {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }

    def logs(self) -> list[dict[str, Any]]:
        """Every log line of every invocation (JSON lines as the function wrote them)."""
        path = self.path.parent / "logs.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def logs_text(self) -> str:
        return (self.path.parent / "logs.jsonl").read_text(encoding="utf-8")

    # -- assertions -----------------------------------------------------------------
    def assert_nothing_lost(self) -> None:
        """The records table (`SyncRecords`) holds every record the API had when the
        last fully successful sync ended, as served, and nothing the API never had."""
        truth = self.report["truth"]
        if truth["caught_up_to"] is None:
            raise AssertionError(
                "no fully successful sync: nothing to compare the table with"
                f" ({_outcomes(self.fires)})"
            )
        if not truth["ok"]:
            problems = "; ".join(
                f"{len(truth[k])} {k}: {', '.join(truth[k][:5])}"
                for k in ("missing", "stale", "corrupted", "unexpected")
                if truth[k]
            )
            raise AssertionError(
                f"records lost or wrong against the API as of {truth['caught_up_to']}: {problems}"
            )

    def assert_no_duplicates(self, table: str | None = None, by: str = "scheduledTime") -> None:
        """No two items of the sync table (`DailySync`, or `table`) for one `by` value:
        every occurrence, however often delivered, is recorded once. Lease items are
        skipped."""
        name = table or SYNC_TABLE
        twice, reused = recorded_twice(self.table(name), (f.sync_id for f in self.fires), by)
        if twice:
            shown = ", ".join(f"{v} x{n}" for v, n in list(twice.items())[:5])
            raise AssertionError(f"{len(twice)} duplicated {by} values in {name}: {shown}")
        if reused:
            raise AssertionError(f"one sync id reported by several occurrences: {reused[:5]}")

    def assert_invariants(self) -> None:
        """Every occurrence accounted for, within the deployed policies, and the queues
        on the backend agree with the dead-lettered occurrences."""
        broken = [i for i in self.report["invariants"] if not i["held"]]
        if broken:
            raise AssertionError("; ".join(f"{i['name']}: {i['detail']}" for i in broken))

    def assert_faults_applied(self) -> None:
        """Every fault rule applied at least once: a rule that never fired proves nothing."""
        if self.warnings:
            raise FaultsNotApplied(
                "fault rules never applied, so this run proves nothing about them:\n  "
                + "\n  ".join(self.warnings)
            )

    def assert_logs_free_of(self, *secrets: str) -> None:
        """None of `secrets` (the API token when none are given) is in the logs, the
        journals, the report or the tables the run wrote."""
        secrets = secrets or (self.result.api_token,)
        leaks = [
            path.name
            for path in sorted(self.path.parent.rglob("*"))
            if path.is_file()
            and any(s and s in path.read_text(encoding="utf-8", errors="replace") for s in secrets)
        ]
        if leaks:
            raise AssertionError(f"a secret value appears in {', '.join(leaks)}")


class ScenarioRunner:
    """Runs scenarios on one embedded backend, reset between runs (starting moto and
    importing the models once, not per run)."""

    def __init__(self, backend: EmbeddedBackend, report_root: Path) -> None:
        self.backend = backend
        self.report_root = report_root
        self._runs = 0

    def run(
        self,
        schedule: str = "cron(0 2 * * ? *)",
        *,
        days: float = 30,
        seed: int = 1,
        function: ScheduledFunction | None = None,
        api_faults: FaultRules | None = None,
        aws_faults: FaultRules | None = None,
        faults: str | FaultPlan | None = None,
        clock: VirtualClock | None = None,
        start: datetime | None = None,
        require_faults: bool = True,
        **options: Any,
    ) -> ScheduleReport:
        """Fire `schedule` for `days` of virtual time and return the report.

        `options` are RunOptions fields (timezone, executor, transport, retry_attempts,
        async_retry_attempts, reserved_concurrency, duplicate_rate, function_timeout,
        environment, template, data, check, api_upstream, api_cassette, api_env, and
        `before_firing`: a function given the DeployedStack after the deploy and the
        data, before the first occurrence). A failing `check` raises CheckFailed.
        `faults` (a profile, a rule file, `random`, or a plan) stands instead of the
        rules in `api_faults` and `aws_faults`, as `harness run --faults` does. With
        `require_faults`, a fault rule that never applied fails the run
        (FaultsNotApplied): the test would prove nothing about it.
        """
        function = function or ScheduledFunction()
        api_faults = api_faults or FaultRules("api")
        aws_faults = aws_faults or FaultRules("aws")
        if faults is not None and (api_faults.rules or aws_faults.rules):
            raise ValueError("give either `faults` or rules in api_faults/aws_faults, not both")
        self._runs += 1
        if start is None:
            start = clock.now() if clock is not None else DEFAULT_START
        run_options = RunOptions(
            schedule=schedule,
            days=days,
            seed=seed,
            start=start,
            faults=fault_plan(api_faults, aws_faults) if faults is None else faults,
            report_dir=self.report_root / f"run-{self._runs}",
            show_progress=False,
            handler=function.handler,
            code_dir=function.code_dir,
            environment={**function.environment, **options.pop("environment", {})},
            template=options.pop("template", function.template),
            data=options.pop("data", function.data),
            check=options.pop("check", function.check),
            **options,
        )
        result = run(run_options, backend=self.backend, clock=clock)
        report = ScheduleReport(result)
        if require_faults:
            report.assert_faults_applied()
        verdict = report.report.get("check")
        if verdict and not verdict["held"]:
            raise CheckFailed(f"{verdict['name']} failed: {verdict['detail']}")
        return report


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body


def _outcomes(fires: Iterable[Fire]) -> str:
    counts = Counter(fire.outcome for fire in fires)
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no fires"
