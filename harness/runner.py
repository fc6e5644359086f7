"""`harness run`: fire the function at every occurrence of its schedule, in virtual time.

A run is five stages, each a function below:
  prepare    check the options, parse the schedule and the fault plan, seed everything;
  provision  start the embedded AWS and the mock API on one virtual clock, deploy the
             stack, put the AWS fault proxy in front when there are AWS rules;
  fire       deliver every occurrence of the schedule as deployed (hand-offs, Lambda's
             async retries, duplicates, dead letters) through the executor;
  collect    dead letters, invariants, alarms, journals and the final tables;
  write      report.json, the journals and report.html.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from rich.console import Console

from mock_api import BackgroundServer, Dataset, Entry, FaultPlan, create_app
from mock_api.upstream import Upstream, create_upstream_app

from .aws import AwsFaultProxy, EmbeddedBackend
from .aws.direct import routed
from .clock import VirtualClock, iso_z
from .delivery import (
    Delivery,
    DeliveryConfig,
    Execution,
    ExecutionResult,
    OccurrenceRecord,
)
from .delivery.accounting import Invariant, check_delivery
from .delivery.deployed import DeployedDelivery, complete_schedule
from .delivery.payloads import check_scheduler_input, execution_result, payload_source
from .delivery.policy import delivery_knob, fault_plan_for, upstream_for
from .delivery.queues import queued_messages, send_dead_letters
from .deploy import (
    HANDLER,
    Deployed,
    SeedData,
    StackSpec,
    prepare_stack,
    provision,
)
from .errors import BadInput, Terminated, raise_if_stopped
from .latency import LatencyModel, load_latency
from .options import DEFAULT_START, RunOptions, check_options
from .report import (
    AlarmSpec,
    Fire,
    build_page,
    dump_buckets,
    dump_tables,
    fire_of,
    prepare_report_dir,
    progress_bar,
    read_alarms,
    timing,
    write_journal,
    write_logs,
    write_report,
)
from .report.assembly import report_of
from .report.checks import Check, import_check, run_check
from .runtime import FunctionSpec, executor_for, function_runtime, seeded_uuid
from .runtime.virtual_time import with_real_clocks
from .schedules import Schedule

__all__ = ["DEFAULT_START", "RunOptions", "RunResult", "run"]  # RunOptions lives in options

TABLE_SAMPLES = 100  # occurrences at which the page's table chart counts active records


@dataclass
class RunResult:
    report: dict[str, Any]
    report_path: Path
    tables: dict[str, list[dict[str, Any]]]
    dataset: Dataset
    journal: list[Entry]  # the mock API's
    aws_journal: list[Entry]  # the AWS fault proxy's (empty without AWS rules)
    fires: list[Fire]
    queued: list[tuple[str, str, dict[str, str]]]  # (queue ARN, body, attributes) at the end
    api_token: str  # the secret the function fetched: for checking it never leaks
    resources: dict[str, str]  # the stack's logical ids -> physical ids


def run(
    options: RunOptions,
    console: Console | None = None,
    *,
    backend: EmbeddedBackend | None = None,
    clock: VirtualClock | None = None,
) -> RunResult:
    """One run. A `backend` that is already started is reset and reused (tests share
    one); a `clock` is moved to the start and left at the end."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    prepared = _prepare(options)
    clock = clock or VirtualClock(options.start)
    clock.move_to(options.start)
    with ExitStack() as services:
        stack = _provision(prepared, services, backend, clock, console)
        fired = _fire(prepared, stack, clock, console)
        collected = _collect(prepared, stack, fired)
    return _write(prepared, stack, collected, wall=time.perf_counter() - started)


@dataclass
class _Prepared:
    """The options checked and resolved; nothing has started yet."""

    options: RunOptions
    plan: FaultPlan
    schedule: Schedule  # as asked for; the run fires by the one read back
    faults_source: str
    end: datetime
    report_dir: Path
    spec: StackSpec
    dataset: Dataset
    token: str  # the API token the stack's secret holds
    rng: random.Random  # event and request ids
    delivery_rng: random.Random  # the delivery's dice: duplicates, hand-off errors
    latency: LatencyModel
    upstream: Upstream | None  # the user's API (or cassette) behind the fault engine


def _prepare(options: RunOptions) -> _Prepared:
    check_options(options)
    theirs = bool(options.api_upstream or options.api_cassette)  # their API, not the mock's
    plan = fault_plan_for(options.faults, options.seed, any_api=theirs)
    schedule = Schedule.parse(
        options.schedule,
        timezone=options.timezone,
        created=options.start,
        start_date=options.start_date,
        end_date=options.end_date,
    )
    scheduler_only = options.flexible_window or options.delete_after_completion
    if schedule.kind == "rule" and (scheduler_only or options.scheduler_input is not None):
        raise BadInput(
            "--flexible-window, --delete-after-completion and --input are EventBridge"
            " Scheduler settings; make it a Scheduler schedule with --tz (or an at() expression)"
        )
    if options.scheduler_input is not None:
        check_scheduler_input(options.scheduler_input)
    rng = random.Random(options.seed)
    return _Prepared(
        options=options,
        plan=plan,
        schedule=schedule,
        faults_source=options.faults if isinstance(options.faults, str) else "rules given",
        end=options.start + timedelta(days=options.days),
        report_dir=prepare_report_dir(options.report_dir),
        spec=StackSpec.with_settings(
            template=options.template,
            handler=options.handler,
            code_dir=options.code_dir,
            timeout_seconds=options.function_timeout,
            retry_attempts=options.retry_attempts,
            max_event_age=options.max_event_age,
            async_retry_attempts=options.async_retry_attempts,
            async_max_event_age=options.async_max_event_age,
            reserved_concurrency=(
                options.reserved_concurrency
                if options.reserved_concurrency is not None or plan.delivery is None
                else plan.delivery.reserved_concurrency
            ),
            flexible_window=options.flexible_window,
            delete_after_completion=options.delete_after_completion,
            scheduler_input=options.scheduler_input,
        ),
        dataset=Dataset(
            seed=options.seed, origin=options.start, changes_per_day=options.changes_per_day
        ),
        token=f"tok_{rng.getrandbits(96):024x}",
        rng=rng,
        delivery_rng=random.Random(f"{options.seed}:delivery"),
        latency=load_latency(options.latency, options.seed),
        upstream=upstream_for(options.api_upstream, options.api_cassette, plan),
    )


@dataclass
class _Provisioned:
    """The services up and the stack deployed and read back."""

    backend: EmbeddedBackend
    api_app: FastAPI
    deployed: Deployed
    proxy: AwsFaultProxy | None
    schedule: Schedule  # as deployed
    occurrences: list[datetime]
    config: DeliveryConfig  # as deployed, with the run's delivery knobs
    function: FunctionSpec
    runtime_environment: dict[str, str]
    seeded: SeedData | None  # what --data put in
    check: Check | None  # --check, imported

    def ours(self, fires: list[Fire]) -> bool:
        """The reference sync fires (itself, or wrapped: its fires carry sync ids) on a
        stack with its tables: the sync's own rows (ground truth) apply."""
        synced = self.function.handler == HANDLER or any(f.sync_id for f in fires)
        return "RecordsTable" in self.deployed.stack.outputs and synced

    @property
    def setup(self) -> DeployedDelivery:
        return self.deployed.delivery

    @property
    def records_table(self) -> str:
        return self.deployed.stack.outputs.get("RecordsTable", self.deployed.spec.records_table)

    @property
    def sync_table(self) -> str:
        return self.deployed.stack.outputs.get("SyncTable", self.deployed.spec.sync_table)


def _provision(
    p: _Prepared,
    services: ExitStack,
    backend: EmbeddedBackend | None,
    clock: VirtualClock,
    console: Console,
) -> _Provisioned:
    options, plan = p.options, p.plan
    starting = "Starting the embedded AWS and the mock API, deploying the stack"
    with console.status(starting) if options.show_progress else nullcontext():
        if backend is None:
            backend = services.enter_context(EmbeddedBackend())
        else:
            backend.reset()
        direct = options.transport == "direct"
        if direct:
            services.enter_context(routed({backend.endpoint_url: backend.wsgi_app}))
        api_app = (
            create_app(p.dataset, token=p.token, clock=clock, faults=plan, seed=options.seed)
            if p.upstream is None
            else create_upstream_app(
                p.upstream, clock=clock, faults=plan, seed=options.seed, origin=options.start
            )
        )
        api = services.enter_context(BackgroundServer(api_app))
        deployed = provision(
            backend, p.spec, schedule=p.schedule, api_url=api.url, api_token=p.token
        )
        seeded = prepare_stack(backend, deployed, options.data, options.before_firing)
        # The function's AWS calls go through the fault proxy when there are AWS rules.
        proxy = (
            services.enter_context(
                AwsFaultProxy(
                    backend.endpoint_url,
                    plan,
                    seed=options.seed,
                    clock=clock,
                    origin=options.start,
                    upstream_app=backend.wsgi_app,
                )
            )
            if plan.aws
            else None
        )
        if direct and proxy is not None:
            services.enter_context(routed({proxy.url: proxy.wsgi_app}))
    setup = deployed.delivery
    # Fire by the schedule as deployed (what was read back), not by the flags.
    schedule = setup.schedule(options.start)
    runtime_environment = backend.environment()
    if proxy is not None:
        runtime_environment["AWS_ENDPOINT_URL"] = proxy.url
    # The user's API behind the fault engine: the function finds it in --api-env.
    environment = {**({options.api_env: api.url} if p.upstream else {}), **options.environment}
    function = setup.function_spec(environment, options.code_dir or deployed.code_dir_of_target())
    return _Provisioned(
        backend=backend,
        api_app=api_app,
        deployed=deployed,
        proxy=proxy,
        schedule=schedule,
        occurrences=list(schedule.fires(options.start, p.end)) if setup.trigger.enabled else [],
        config=replace(
            setup.config,
            duplicate_rate=delivery_knob(options.duplicate_rate, plan, "duplicate_rate"),
            handoff_error_rate=delivery_knob(None, plan, "handoff_error_rate"),
        ),
        function=function,
        runtime_environment=runtime_environment,
        seeded=seeded,
        check=import_check(options.check, function.code_dir, options.template),
    )


@dataclass
class _Fired:
    records: list[OccurrenceRecord]
    delivery: Delivery
    sizes: dict[int, tuple[int, int | None]]  # occurrence -> (table items, active ones)
    invocation_seconds: float  # wall time inside the executor
    loop_seconds: float  # wall time of the firing, and the embedded AWS's share of it
    backend_seconds: float
    interrupted: dict[str, Any] | None  # where Ctrl-C or SIGTERM stopped the firing
    aws_calls: Counter[str]  # the function's AWS calls by `service:Operation`


def _fire(p: _Prepared, s: _Provisioned, clock: VirtualClock, console: Console) -> _Fired:
    options, backend, occurrences = p.options, s.backend, s.occurrences
    depth, invocation_wall, aws_calls = [0], [0.0], Counter[str]()
    backend_before = backend.usage().seconds
    loop_started = time.perf_counter()
    with (
        function_runtime(clock) as seam,
        executor_for(
            options.executor, s.function, clock, s.runtime_environment, seam, p.latency
        ) as executor,
        (p.report_dir / "logs.jsonl").open("w", encoding="utf-8") as logs,
        progress_bar(console, len(occurrences), options.show_progress) as advance,
    ):

        def invoke(execution: Execution, payload: Any) -> ExecutionResult:
            clock.move_to(execution.at)
            depth[0] += 1
            started = time.perf_counter()
            try:
                result = executor.invoke(payload, request_id=execution.request_id)
            finally:
                depth[0] -= 1
            if depth[0] == 0:  # nested runs' time is inside the outer run's already
                invocation_wall[0] += time.perf_counter() - started
            write_logs(logs, result, started=execution.at, memory_mb=s.function.memory_mb)
            aws_calls.update(result.aws_calls)
            return execution_result(result)

        # The records table's size as each occurrence ended, and how many are active
        # at about 100 of them (counting active ones reads every item).
        sizes: dict[int, tuple[int, int | None]] = {}
        records_table = s.records_table
        sized = records_table in backend.tables()
        every = max(1, -(-len(occurrences) // TABLE_SAMPLES))

        def finished(record: OccurrenceRecord) -> None:
            if sized:
                sampled = record.index % every == 0 or record.index == len(occurrences) - 1
                active = backend.active_count(records_table) if sampled else None
                sizes[record.index] = (backend.item_count(records_table), active)
            advance(record.scheduled)

        delivery = Delivery(
            s.config,
            invoke=invoke,
            payload_for=payload_source(s.config, s.setup, s.deployed.account, s.deployed.region),
            new_id=lambda: seeded_uuid(p.rng),
            rng=p.delivery_rng,
            on_finished=finished,
        )
        # A run that waits lets whatever is due meanwhile run first (on its own
        # timeline, with the real clocks), so runs that overlap in virtual time overlap.
        delivery.check_stop = raise_if_stopped
        clock.set_wait_hook(with_real_clocks(delivery.advance_until))
        interrupted: dict[str, Any] | None = None
        try:
            records = delivery.run(occurrences)
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated): keep what ran
            records = delivery.finished_records()
            interrupted = {
                "at": iso_z(clock.now()),
                "signal": "SIGTERM" if isinstance(stop, Terminated) else "SIGINT",
                "occurrences_run": len(records),
                "occurrences": len(occurrences),
            }
        finally:
            clock.set_wait_hook(None)
    loop, in_backend = time.perf_counter() - loop_started, backend.usage().seconds - backend_before
    return _Fired(
        records, delivery, sizes, invocation_wall[0], loop, in_backend, interrupted, aws_calls
    )


@dataclass
class _Collected:
    fires: list[Fire]
    queued: list[tuple[str, str, dict[str, str]]]
    invariants: list[Invariant]
    schedule_deleted: bool
    alarm_specs: list[AlarmSpec]
    alarm_warnings: list[str]
    timing: dict[str, float]
    journal: list[Entry]
    aws_journal: list[Entry]
    fault_stats: list[dict[str, Any]]
    aws_stats: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]
    buckets: dict[str, dict[str, Any]]  # bucket -> objects, bytes, dumped
    aws_calls: dict[str, int]  # the function's, most made first
    interrupted: dict[str, Any] | None


def _collect(p: _Prepared, s: _Provisioned, f: _Fired) -> _Collected:
    backend, config = s.backend, s.config
    send_dead_letters(backend.client("sqs"), f.delivery.dead_letters)
    queued = queued_messages(backend, config)
    invariants = check_delivery(f.records, config, [(arn, body) for arn, body, _ in queued])
    deleted = complete_schedule(backend, s.schedule, s.setup, f.records)
    fires = [
        replace(fire_of(r), table_items=f.sizes[r.index][0], table_active=f.sizes[r.index][1])
        if r.index in f.sizes
        else fire_of(r)
        for r in f.records
    ]
    alarm_specs, alarm_warnings = read_alarms(backend, s.function.name)
    mock_api = s.api_app.state.api
    proxy = s.proxy
    return _Collected(
        fires=fires,
        queued=queued,
        invariants=invariants,
        schedule_deleted=deleted,
        alarm_specs=alarm_specs,
        alarm_warnings=alarm_warnings,
        timing=timing(f.loop_seconds, f.invocation_seconds, f.backend_seconds),
        journal=mock_api.journal.entries(),
        aws_journal=proxy.entries() if proxy is not None else [],
        fault_stats=mock_api.engine.stats(),
        aws_stats=proxy.stats() if proxy is not None else [],
        tables=dump_tables(backend, p.report_dir / "tables"),
        buckets=dump_buckets(backend.client("s3"), p.report_dir / "buckets"),
        aws_calls=dict(f.aws_calls.most_common()),
        interrupted=f.interrupted,
    )


def _write(p: _Prepared, s: _Provisioned, c: _Collected, *, wall: float) -> RunResult:
    options, end = p.options, p.end
    if c.interrupted:  # the report covers what ran
        stopped = datetime.fromisoformat(c.interrupted["at"].replace("Z", "+00:00"))
        end = min(end, max(options.start, stopped))
    report = report_of(p, s, c, end=end, wall=wall)
    write_journal(c.journal, p.report_dir / "journal.jsonl")
    write_journal(c.aws_journal, p.report_dir / "aws_journal.jsonl")
    path = write_report(report, p.report_dir)
    if s.check is not None and options.check is not None:  # it reads what the run wrote
        verdict = run_check(options.check, s.check, p.report_dir)
        report["invariants"].append(verdict.to_dict())
        report["check"] = verdict.to_dict()
        write_report(report, p.report_dir)
    build_page(p.report_dir)
    return RunResult(
        report=report,
        report_path=path,
        tables=c.tables,
        dataset=p.dataset,
        journal=c.journal,
        aws_journal=c.aws_journal,
        fires=c.fires,
        queued=c.queued,
        api_token=p.token,
        resources=s.deployed.stack.physical_ids(),
    )
