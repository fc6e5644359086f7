"""`harness run`: fire the function at every occurrence of its schedule, in virtual time.

Flow: parse the schedule -> start the embedded AWS and the mock API on one virtual
clock -> provision the stack -> for each occurrence, advance the clock, build the
scheduled event and invoke -> dump the tables and write the report.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from mock_api import (
    BackgroundServer,
    Dataset,
    Entry,
    FaultPlan,
    FaultRuleError,
    create_app,
    load_faults,
)

from . import html_report
from .alarms import AlarmSpec, alarm_report, evaluate
from .backend import EmbeddedBackend
from .chaos import RANDOM, random_plan
from .clock import Clock, DeadlineClock, VirtualClock
from .delivery import (
    AsyncInvokeConfig,
    Delivery,
    DeliveryConfig,
    Execution,
    ExecutionResult,
    OccurrenceRecord,
    TriggerRetryPolicy,
)
from .delivery.accounting import check_delivery
from .delivery.deployed import DeployedDelivery
from .delivery.engine import PayloadFor
from .delivery.payloads import event_payload, substitute_input
from .delivery.queues import send_dead_letters
from .errors import BadInput
from .events import iso_z, seeded_uuid
from .executor import FunctionSpec, InProcessExecutor, InvocationResult
from .fault_proxy import AwsFaultProxy
from .metrics import emf_samples, lambda_periods, lambda_samples
from .metrics import totals as metric_totals
from .report import (
    Attempt,
    Fire,
    dump_table,
    fault_summary,
    summary_table,
    totals,
    unapplied_rule_warnings,
    write_journal,
    write_report,
)
from .schedules import Schedule
from .stack import StackSpec, check_function, provision
from .subprocess_executor import SubprocessExecutor
from .truth import check_records

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
EXECUTORS = ("inprocess", "subprocess")
TABLE_SAMPLES = 100  # occurrences at which the page's table chart counts active records


@dataclass
class RunOptions:
    schedule: str = "cron(0 2 * * ? *)"
    timezone: str = "UTC"
    start: datetime = DEFAULT_START
    days: float = 90.0
    seed: int = 1
    executor: str = "inprocess"
    report_dir: Path = Path("out/run")
    environment: dict[str, str] = field(default_factory=dict)  # overrides for the function
    changes_per_day: int = 100
    faults: str | FaultPlan = "none"  # a profile name, a rule file, or the rules themselves
    show_progress: bool = True
    # Delivery: each overrides what gets deployed, and the run reads it back.
    retry_attempts: int | None = None  # the trigger target's RetryPolicy
    max_event_age: int | None = None
    async_retry_attempts: int | None = None  # Lambda's event invoke config
    async_max_event_age: int | None = None
    reserved_concurrency: int | None = None
    duplicate_rate: float | None = None  # None: the fault file's, else 0
    flexible_window: int = 0  # Scheduler FlexibleTimeWindow, minutes
    delete_after_completion: bool = False  # Scheduler ActionAfterCompletion DELETE
    scheduler_input: str | None = None  # Scheduler Target.Input (JSON, context attributes)
    start_date: datetime | None = None  # Scheduler StartDate / EndDate
    end_date: datetime | None = None
    # The function: ours unless a handler (and the directory its code lives in) is given.
    handler: str | None = None
    code_dir: Path | None = None
    function_timeout: int | None = None  # seconds, as deployed (1 to 900)
    template: Path | None = None  # a CloudFormation template; None: deploy/template.yaml


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
    started_wall = time.perf_counter()
    _check(options)
    plan = fault_plan_for(options.faults, options.seed)
    faults_source = options.faults if isinstance(options.faults, str) else "rules given"
    end = options.start + timedelta(days=options.days)
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
        _check_input(options.scheduler_input)
    report_dir = prepare_report_dir(options.report_dir)

    rng = random.Random(options.seed)
    delivery_rng = random.Random(f"{options.seed}:delivery")
    if clock is None:
        clock = VirtualClock(options.start)
    clock.move_to(options.start)
    dataset = Dataset(
        seed=options.seed, origin=options.start, changes_per_day=options.changes_per_day
    )
    token = f"tok_{rng.getrandbits(96):024x}"
    spec = _stack_spec(options)
    with ExitStack() as services:
        starting = "Starting the embedded AWS and the mock API, deploying the stack"
        with console.status(starting) if options.show_progress else nullcontext():
            if backend is None:
                backend = services.enter_context(EmbeddedBackend())
            else:
                backend.reset()
            api_app = create_app(dataset, token=token, clock=clock, faults=plan, seed=options.seed)
            api = services.enter_context(BackgroundServer(api_app))
            deployed = provision(backend, spec, schedule=schedule, api_url=api.url, api_token=token)
            setup = deployed.delivery
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
        # Fire by the schedule as deployed (what was read back), not by the flags.
        schedule = _deployed_schedule(setup, options.start)
        occurrences = list(schedule.fires(options.start, end)) if setup.trigger.enabled else []
        config = replace(
            setup.config,
            duplicate_rate=delivery_knob(options.duplicate_rate, plan, "duplicate_rate"),
            handoff_error_rate=delivery_knob(None, plan, "handoff_error_rate"),
        )
        function = _function(setup, options.environment, options.code_dir)
        runtime_environment = backend.environment()
        if proxy is not None:
            runtime_environment["AWS_ENDPOINT_URL"] = proxy.url
        depth, invocation_wall = [0], [0.0]
        usage_before = backend.usage()
        loop_started = time.perf_counter()
        with (
            function_runtime(clock) as seam,
            _executor(options.executor, function, clock, runtime_environment, seam) as executor,
            (report_dir / "logs.jsonl").open("w", encoding="utf-8") as logs,
            _progress(console, len(occurrences), options.show_progress) as advance,
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
                write_logs(logs, result)
                return execution_result(result)

            # The records table's size as each occurrence ended, and how many are active
            # at about 100 of them (counting active ones reads every item).
            sizes: dict[int, tuple[int, int | None]] = {}
            records_table = deployed.stack.outputs.get("RecordsTable", spec.records_table)
            sized = records_table in backend.tables()
            every = max(1, -(-len(occurrences) // TABLE_SAMPLES))

            def finished(record: OccurrenceRecord) -> None:
                if sized:
                    sampled = record.index % every == 0 or record.index == len(occurrences) - 1
                    active = backend.active_count(records_table) if sampled else None
                    sizes[record.index] = (backend.item_count(records_table), active)
                advance(record.scheduled)

            delivery = Delivery(
                config,
                invoke=invoke,
                payload_for=payload_source(config, setup, deployed.account, deployed.region),
                new_id=lambda: seeded_uuid(rng),
                rng=delivery_rng,
                on_finished=finished,
            )
            # A run that waits lets whatever is due meanwhile run first (on its own
            # timeline), so runs that overlap in virtual time really overlap.
            clock.set_wait_hook(delivery.advance_until)
            try:
                records = delivery.run(occurrences)
            finally:
                clock.set_wait_hook(None)
        sqs = backend.client("sqs")
        send_dead_letters(sqs, delivery.dead_letters)
        targets = (
            config.trigger_dead_letter,
            config.async_config.on_failure,
            config.async_config.dead_letter_queue,
        )
        queued = [
            (arn, body, attributes)
            for arn in dict.fromkeys(q for q in targets if q)
            for body, attributes in backend.queue_messages(arn)
        ]
        invariants = check_delivery(records, config, [(arn, body) for arn, body, _ in queued])
        deleted = _complete_schedule(backend, schedule, setup, records)
        fires = [
            replace(fire_of(r), table_items=sizes[r.index][0], table_active=sizes[r.index][1])
            if r.index in sizes
            else fire_of(r)
            for r in records
        ]
        alarm_specs, alarm_warnings = read_alarms(backend, function.name)
        loop_seconds = time.perf_counter() - loop_started
        mock_api = api_app.state.api
        journal = mock_api.journal.entries()
        fault_stats = mock_api.engine.stats()
        aws_journal = proxy.entries() if proxy is not None else []
        aws_stats = proxy.stats() if proxy is not None else []
        backend_seconds = backend.usage().seconds - usage_before.seconds
        tables = {
            table: dump_table(
                backend.table_items(table), key, report_dir / "tables" / f"{table}.jsonl"
            )
            for table, key in backend.tables().items()
        }

    wall = time.perf_counter() - started_wall
    records_table = deployed.stack.outputs.get("RecordsTable", spec.records_table)
    sync_table = deployed.stack.outputs.get("SyncTable", spec.sync_table)
    virtual = (end - options.start).total_seconds()
    invocation_seconds = invocation_wall[0]
    report: dict[str, Any] = {
        "schedule": options.schedule,
        "timezone": options.timezone,
        "start": iso_z(options.start),
        "end": iso_z(end),
        "seed": options.seed,
        "executor": options.executor,
        "backend": "embedded",
        "function": {
            "name": function.name,
            "handler": function.handler,
            "timeout_seconds": function.timeout_seconds,
            "memory_mb": function.memory_mb,
        },
        "wall_seconds": round(wall, 3),
        "virtual_seconds": virtual,
        "compression_ratio": round(virtual / wall, 1) if wall else None,
        "timing": _timing(loop_seconds, invocation_seconds, backend_seconds),
        "totals": totals(fires),
        "delivery": {
            "trigger": config.kind,
            "trigger_arn": config.trigger_arn,
            "target_arn": config.target_arn,
            "retry_policy": asdict(config.retry),
            "trigger_dead_letter": config.trigger_dead_letter,
            "flexible_window_minutes": config.flexible_window_minutes,
            "async_invoke": asdict(config.async_config),
            "reserved_concurrency": config.reserved_concurrency,
            "duplicate_rate": config.duplicate_rate,
            "handoff_error_rate": config.handoff_error_rate,
            "schedule_deleted": deleted,
        },
        "invariants": [i.to_dict() for i in invariants],
        "faults": fault_summary(faults_source, fault_stats, journal),
        "aws_faults": fault_summary(faults_source, aws_stats, aws_journal),
        "warnings": unapplied_rule_warnings(fault_stats, aws_stats),
        "alarms_not_evaluated": alarm_warnings,
        **monitoring(fires, report_dir / "logs.jsonl", alarm_specs, options.start, end),
        "tables": {
            name: _record_stats(items) if name == records_table else {"items": len(items)}
            for name, items in tables.items()
        },
        # The ground truth is our function's: a template without its tables has none.
        "truth": (
            check_records(dataset, tables[records_table], tables[sync_table], end).to_dict()
            if records_table in tables and sync_table in tables
            else None
        ),
        "fires": [asdict(fire) for fire in fires],
    }
    write_journal(journal, report_dir / "journal.jsonl")
    write_journal(aws_journal, report_dir / "aws_journal.jsonl")
    path = write_report(report, report_dir)
    html_report.build(report_dir)
    return RunResult(
        report=report,
        report_path=path,
        tables=tables,
        dataset=dataset,
        journal=journal,
        aws_journal=aws_journal,
        fires=fires,
        queued=queued,
        api_token=token,
    )


def print_summary(result: RunResult, console: Console) -> None:
    console.print(summary_table(result.report))
    console.print(f"Report: [bold]{result.report_path}[/]", soft_wrap=True)  # paths stay whole
    page = result.report_path.with_name("report.html")
    console.print(f"Page:   [bold]{page}[/]", soft_wrap=True)


def _check(options: RunOptions) -> None:
    if options.days <= 0:
        raise BadInput(f"--days must be positive, got {options.days}")
    if options.executor not in EXECUTORS:
        raise BadInput(
            f"--executor {options.executor!r} is not available;"
            f" choose one of {', '.join(EXECUTORS)}"
        )
    if options.start.tzinfo is None:
        raise BadInput("--start must carry a time zone (end it with Z for UTC)")
    try:
        options.start + timedelta(days=options.days)
    except OverflowError:
        raise BadInput("--start plus --days runs past the year 9999") from None
    if options.function_timeout is not None and not 1 <= options.function_timeout <= 900:
        raise BadInput(
            f"--function-timeout must be 1 to 900 seconds (Lambda's limits),"
            f" got {options.function_timeout}"
        )
    check_function(options.handler, options.code_dir)
    if options.changes_per_day < 1:
        raise BadInput("--changes-per-day must be at least 1")
    if options.duplicate_rate is not None and not 0 <= options.duplicate_rate <= 1:
        raise BadInput(f"--duplicate-rate must be between 0 and 1, got {options.duplicate_rate}")
    if options.reserved_concurrency is not None and options.reserved_concurrency < 0:
        raise BadInput(
            "1 validation error detected: Value"
            f" '{options.reserved_concurrency}' at 'reservedConcurrentExecutions' failed to"
            " satisfy constraint: Member must have value greater than or equal to 0"
        )
    if not 0 <= options.flexible_window <= 1440:
        raise BadInput(
            f"1 validation error detected: Value '{options.flexible_window}' at"
            " 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint:"
            " Member must have value less than or equal to 1440"
            if options.flexible_window > 1440
            else f"--flexible-window must be 0 (OFF) to 1440 minutes, got {options.flexible_window}"
        )


def fault_plan_for(spec: str | FaultPlan, seed: int) -> FaultPlan:
    if isinstance(spec, FaultPlan):
        return spec
    if spec == RANDOM:
        return random_plan(seed)
    try:
        return load_faults(spec)
    except FaultRuleError as exc:
        raise BadInput(f"--faults: {exc}") from None


def prepare_report_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BadInput(f"report dir {str(path)!r} is not writable: {exc.strerror or exc}") from None
    return path


@contextmanager
def function_runtime(clock: Clock) -> Iterator[DeadlineClock]:
    """Point our function's clock seam at virtual time (a view of it that stops the
    function at its deadline) and start it cold."""
    from function import clock as function_clock
    from function import handler as function_handler

    seam = DeadlineClock(clock)
    previous = function_clock.set_clock(seam)
    function_handler.reset_warm_state()
    try:
        yield seam
    finally:
        function_clock.set_clock(previous)
        function_handler.reset_warm_state()


@contextmanager
def _progress(console: Console, total: int, enabled: bool) -> Iterator[Any]:
    progress = Progress(
        TextColumn("[bold blue]firing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("virtual [cyan]{task.fields[virtual]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
    )
    task = progress.add_task("fires", total=total, virtual="-")

    def advance(scheduled: datetime) -> None:
        progress.update(task, advance=1, virtual=scheduled.strftime("%Y-%m-%d %H:%M"))

    with progress:
        yield advance


def read_alarms(backend: Any, function_name: str) -> tuple[list[AlarmSpec], list[str]]:
    """The deployed metric alarms on this function (by its FunctionName dimension), and a
    warning for each alarm the harness cannot evaluate."""
    specs, warnings = [], []
    for alarm in backend.client("cloudwatch").describe_alarms()["MetricAlarms"]:
        name = alarm["AlarmName"]
        dimensions = alarm.get("Dimensions", [])
        if {"Name": "FunctionName", "Value": function_name} not in dimensions:
            warnings.append(f"alarm {name!r} is not on the function: not evaluated")
        elif len(dimensions) > 1 or "MetricName" not in alarm or not alarm.get("Statistic"):
            warnings.append(
                f"alarm {name!r} uses metric math, a percentile or more dimensions than"
                " FunctionName: not evaluated"
            )
        else:
            specs.append(AlarmSpec.from_api(alarm))
    return specs, warnings


def monitoring(
    fires: list[Fire], logs: Path, specs: list[AlarmSpec], start: datetime, end: datetime
) -> dict[str, Any]:
    """The run's metrics (Lambda's, and the function's EMF) and its alarms' story."""
    with logs.open(encoding="utf-8") as lines:
        samples = {**lambda_samples(asdict(f) for f in fires), **emf_samples(lines)}
    for spec in specs:
        if spec.key not in samples:  # evaluated all the same: its every period is missing
            samples[spec.key] = []
    return {
        "metrics": metric_totals(samples),
        "lambda_metrics": lambda_periods(samples),
        "alarms": [alarm_report(s, evaluate(s, samples, start, end), end) for s in specs],
    }


def execution_result(result: InvocationResult) -> ExecutionResult:
    """An executor's invocation as the delivery engine records it."""
    return ExecutionResult(
        status=result.status,
        duration_seconds=result.duration_ms / 1000,
        error=result.error,
        payload=result.response,
        detail=result,
    )


def payload_source(
    config: DeliveryConfig, setup: DeployedDelivery, account: str, region: str
) -> PayloadFor:
    """What the deployed trigger hands Lambda for an occurrence's hand-off."""

    def payload_for(record: OccurrenceRecord, handoff: int, execution_id: str) -> Any:
        return event_payload(
            config,
            event_id=record.event_id,
            scheduled=record.scheduled,
            account=account,
            region=region,
            scheduler_input=setup.scheduler_input,
            execution_id=execution_id,
            attempt=handoff,
        )

    return payload_for


def write_logs(out: IO[str], result: InvocationResult) -> None:
    for line in result.logs:
        if line.startswith("{"):
            out.write(line + "\n")
        else:
            out.write(json.dumps({"requestId": result.request_id, "message": line}) + "\n")


def fire_of(record: OccurrenceRecord) -> Fire:
    attempts = [
        Attempt(
            at=iso_z(a.at),
            status=a.status,
            duration_ms=int(a.duration_seconds * 1000),
            error=a.error,
            request_id=a.request_id or "",
            wall_ms=round(a.result.detail.wall_ms, 2) if a.result is not None else 0.0,
            layer=a.layer,
            reason=a.reason,
            cold=bool(a.result.detail.cold) if a.result is not None else False,
        )
        for a in record.attempts
    ]
    succeeded = next(
        (a.result for a in record.attempts if a.layer == "lambda" and a.status == "succeeded"),
        None,
    )
    body = (
        succeeded.payload.get("body") if succeeded and isinstance(succeeded.payload, dict) else None
    )
    body = body if isinstance(body, dict) else {}
    letter = record.dead_letter
    return Fire(
        scheduled_time=iso_z(record.scheduled),
        event_id=record.event_id,
        outcome=record.outcome or "failed",
        attempts=attempts,
        sync_id=body.get("syncId") if succeeded else None,
        records_processed=int(body.get("recordsProcessed", 0)) if succeeded else 0,
        sync_status=str(body.get("status", "success")) if succeeded else "failed",
        dead_letter=(
            {"queue": letter.queue_arn, "layer": letter.layer, "condition": letter.condition}
            if letter
            else None
        ),
        duplicates=record.duplicates,
        throttles=record.throttles,
    )


def _executor(
    name: str,
    function: FunctionSpec,
    clock: VirtualClock,
    runtime_environment: dict[str, str],
    seam: DeadlineClock,
) -> InProcessExecutor | SubprocessExecutor:
    if name == "subprocess":  # the worker's clock is the harness's, over a pipe
        return SubprocessExecutor(function, clock=clock, runtime_environment=runtime_environment)
    return InProcessExecutor(
        function, clock=clock, runtime_environment=runtime_environment, function_clock=seam
    )


def _stack_spec(options: RunOptions) -> StackSpec:
    defaults = StackSpec()
    return replace(
        defaults,
        template=options.template or defaults.template,
        handler=options.handler or defaults.handler,
        code_dir=options.code_dir,
        timeout_seconds=_or(options.function_timeout, defaults.timeout_seconds),
        retry=TriggerRetryPolicy(
            maximum_retry_attempts=_or(
                options.retry_attempts, defaults.retry.maximum_retry_attempts
            ),
            maximum_event_age_seconds=_or(
                options.max_event_age, defaults.retry.maximum_event_age_seconds
            ),
        ),
        async_config=AsyncInvokeConfig(
            maximum_retry_attempts=_or(
                options.async_retry_attempts, defaults.async_config.maximum_retry_attempts
            ),
            maximum_event_age_seconds=_or(
                options.async_max_event_age, defaults.async_config.maximum_event_age_seconds
            ),
        ),
        reserved_concurrency=options.reserved_concurrency,
        flexible_window_minutes=options.flexible_window,
        action_after_completion="DELETE" if options.delete_after_completion else "NONE",
        scheduler_input=options.scheduler_input,
    )


def _check_input(text: str) -> None:
    """A templated Lambda target's Input must be well-formed JSON once substituted."""
    try:
        substitute_input(
            text,
            schedule_arn="arn:aws:scheduler:us-east-1:123456789012:schedule/default/x",
            scheduled=DEFAULT_START,
            execution_id="check",
            attempt=1,
        )
    except ValueError as exc:
        raise BadInput(f"--input is not well-formed JSON: {exc}") from None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _function(
    setup: DeployedDelivery, overrides: dict[str, str], code_dir: Path | None
) -> FunctionSpec:
    """The deployed function, with variables overridden and where its code lives."""
    function = setup.function
    if function is None:
        raise BadInput(f"the target {setup.config.target_arn} is not a deployed function")
    return replace(
        function,
        environment={**function.environment, **overrides},
        code_dir=str(code_dir.resolve()) if code_dir else None,
    )


def delivery_knob(flag: float | None, plan: FaultPlan, name: str) -> float:
    if flag is not None:
        return flag
    faults = plan.delivery
    return float(getattr(faults, name)) if faults is not None else 0.0


def _deployed_schedule(setup: DeployedDelivery, created: datetime) -> Schedule:
    trigger = setup.trigger
    return Schedule.parse(
        trigger.expression,
        timezone=trigger.timezone,
        kind=setup.config.kind,
        created=created,
        start_date=trigger.start_date,
        end_date=trigger.end_date,
    )


def _complete_schedule(
    backend: EmbeddedBackend,
    schedule: Schedule,
    setup: DeployedDelivery,
    records: list[OccurrenceRecord],
) -> bool:
    """ActionAfterCompletion DELETE: the schedule goes after its last invocation, which
    exists only for a one-time schedule or one with an EndDate."""
    if setup.action_after_completion != "DELETE" or not records:
        return False
    last = schedule.next_after(records[-1].scheduled)
    if last is not None or (schedule.end_date is None and not schedule.text.startswith("at(")):
        return False
    name = setup.config.trigger_arn.rsplit("/", 1)[-1]
    backend.client("scheduler").delete_schedule(Name=name)
    return True


def _timing(loop: float, invocations: float, backend: float) -> dict[str, float]:
    function = max(0.0, invocations - backend)
    harness = max(0.0, loop - invocations)
    total = loop or 1.0
    return {
        "loop_seconds": round(loop, 3),
        "backend_seconds": round(backend, 3),
        "function_seconds": round(function, 3),
        "harness_seconds": round(harness, 3),
        "backend_share": round(backend / total, 3),
        "function_share": round(function / total, 3),
        "harness_share": round(harness / total, 3),
    }


def _record_stats(items: list[dict[str, Any]]) -> dict[str, int]:
    active = sum(1 for item in items if item.get("isActive"))
    return {"items": len(items), "active": active, "archived": len(items) - active}
