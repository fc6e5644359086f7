"""`harness live`: the deployed function fired by APScheduler in real or scaled time.

The stack is deployed to the backend, the schedule read back, and APScheduler fires it on
a `ScaledClock` (speed 60: an hour a minute). Each occurrence is delivered by the same
engine a virtual run uses: hand-off, Lambda's async retries 1 and 2 minutes (scaled)
after a failure, dead letters to the deployed queues. The function runs through the
executor on the embedded AWS, and through the backend's own Lambda Invoke API on
LocalStack. Ctrl-C stops the firing, ends the waits and prints a summary.
"""

from __future__ import annotations

import collections
import json
import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from rich.console import Console
from rich.table import Table

from mock_api import BackgroundServer, Dataset, create_app

from .aws.embedded import EmbeddedBackend
from .aws.remote import DEFAULT_LOCALSTACK, RemoteBackend
from .clock import LiveRunClock, LiveStopped, ScaledClock, iso_z
from .delivery import Delivery, Execution, ExecutionResult, OccurrenceRecord
from .delivery.deployed import DeployedDelivery
from .delivery.payloads import execution_result, payload_source
from .delivery.policy import delivery_knob, fault_plan_for
from .delivery.queues import send_dead_letters
from .deploy.targets import DeployOptions, deploy
from .errors import BadInput
from .report import Fire, fire_of, prepare_report_dir, write_logs
from .runtime import (
    Executor,
    InProcessExecutor,
    InvocationResult,
    LambdaInvoker,
    function_runtime,
    seeded_uuid,
)
from .schedules import Schedule

BACKENDS = ("embedded", "localstack")
# How long Ctrl-C waits for invocations in flight (compose allows the harness 30 s).
STOP_GRACE_SECONDS = 10.0


@dataclass
class LiveOptions:
    backend: str = "embedded"
    endpoint_url: str = DEFAULT_LOCALSTACK  # LocalStack's
    speed: float = 1.0
    schedule: str = "cron(0 2 * * ? *)"
    timezone: str = "UTC"
    start: datetime | None = None  # where the clock starts; None: now
    duration: float | None = None  # wall seconds to run; None: until Ctrl-C
    seed: int = 1
    faults: str = "none"
    template: Path | None = None
    handler: str | None = None
    code_dir: Path | None = None
    api_url: str | None = None  # an API that is already running; None: start the mock API
    api_token: str | None = None
    report_dir: Path = Path("out/live")
    health_timeout: float = 120.0


@dataclass
class LiveResult:
    fires: list[Fire] = field(default_factory=list)
    in_flight: int = 0
    started: datetime | None = None
    stopped: datetime | None = None
    wall_seconds: float = 0.0
    backend: str = "embedded"


def live(options: LiveOptions, console: Console) -> LiveResult:
    if options.backend not in BACKENDS:
        raise BadInput(f"--backend {options.backend!r}: choose embedded or localstack")
    if not math.isfinite(options.speed) or options.speed <= 0:
        raise BadInput(f"--speed must be a positive number, got {options.speed}")
    if options.backend == "localstack" and options.api_url is None:
        raise BadInput(
            "--backend localstack runs the function in LocalStack's containers, which cannot"
            " reach this machine's loopback: pass --api-url of an API they reach (docker"
            " compose runs the mock API as http://mock-api:8000)"
        )
    plan = fault_plan_for(options.faults, options.seed)
    start = options.start or datetime.now(UTC).replace(microsecond=0)
    prepare_report_dir(options.report_dir)
    clock = ScaledClock(start, options.speed)
    rng = random.Random(options.seed)
    token = options.api_token or f"tok_{rng.getrandbits(96):024x}"
    with ExitStack() as services:
        if options.api_url is None:
            dataset = Dataset(seed=options.seed, origin=start)
            app = create_app(dataset, token=token, clock=clock, faults=plan, seed=options.seed)
            api_url = services.enter_context(BackgroundServer(app)).url
        else:
            api_url = options.api_url
        embedded = (
            services.enter_context(EmbeddedBackend()) if options.backend == "embedded" else None
        )
        # The same deploy as `harness deploy --target embedded|localstack`.
        deployment = deploy(
            DeployOptions(
                target=options.backend,
                template=options.template,
                schedule=options.schedule,
                timezone=options.timezone,
                handler=options.handler,
                code_dir=options.code_dir,
                api_url=api_url,
                api_token=token,
                endpoint_url=options.endpoint_url,
                health_timeout=options.health_timeout,
            ),
            console,
            embedded,
        )
        backend: EmbeddedBackend | RemoteBackend = deployment.backend
        setup = deployment.delivery
        if isinstance(backend, RemoteBackend) and setup.config.kind == "rule":
            services.enter_context(_rule_left_to_the_harness(backend, setup))
        deployed = Schedule.parse(
            setup.trigger.expression, timezone=setup.trigger.timezone, created=start
        )
        console.print(
            f"AWS endpoint: [bold]{backend.endpoint_url}[/] (any credentials, region"
            f" {backend.region}): point the AWS CLI or NoSQL Workbench at it",
            soft_wrap=True,
        )
        console.print(
            f"Firing [bold]{deployed.text}[/] ({deployed.zone.key}) from {iso_z(start)} at"
            f" x{options.speed:g} on {options.backend}; Ctrl-C stops."
        )
        result = _fire_live(options, console, clock, deployed, setup, backend, plan, api_url)
    return result


@contextmanager
def _rule_left_to_the_harness(backend: RemoteBackend, setup: DeployedDelivery) -> Iterator[None]:
    """LocalStack fires enabled rules itself, on the wall clock, about once a minute: the
    harness disables the rule while it fires it, so nothing fires twice."""
    events = backend.client("events")
    name = setup.config.trigger_arn.rsplit("/", 1)[-1]
    events.disable_rule(Name=name)
    try:
        yield
    finally:
        events.enable_rule(Name=name)


def _fire_live(
    options: LiveOptions,
    console: Console,
    clock: ScaledClock,
    schedule: Schedule,
    setup: DeployedDelivery,
    backend: EmbeddedBackend | RemoteBackend,
    plan: Any,
    api_url: str,
) -> LiveResult:
    config = replace(
        setup.config,
        duplicate_rate=delivery_knob(None, plan, "duplicate_rate"),
        handoff_error_rate=delivery_knob(None, plan, "handoff_error_rate"),
    )
    result = LiveResult(backend=options.backend, started=clock.now())
    state = threading.Lock()  # the counters, ids and files the jobs share
    ids = random.Random(f"{options.seed}:live")
    in_flight, cut_short = [0], [0]  # running now; stopped in the middle of a wait
    report_dir = options.report_dir
    started_wall = time.perf_counter()
    run_clock = LiveRunClock(clock)  # the in-process function's
    memory_mb = setup.function.memory_mb if setup.function is not None else 128
    with ExitStack() as running:
        logs = running.enter_context((report_dir / "logs.jsonl").open("w", encoding="utf-8"))
        fires_out = running.enter_context((report_dir / "fires.jsonl").open("w", encoding="utf-8"))
        if isinstance(backend, EmbeddedBackend):
            if setup.function is None:
                raise BadInput(f"the target {config.target_arn} is not a deployed function")
            function = replace(
                setup.function,
                code_dir=str(options.code_dir.resolve()) if options.code_dir else None,
            )
            seam = running.enter_context(function_runtime(run_clock))
            executor: Executor = running.enter_context(
                InProcessExecutor(
                    function,
                    clock=run_clock,
                    runtime_environment=backend.environment(),
                    function_clock=seam,
                )
            )
        else:
            executor = LambdaInvoker(backend, config.target_arn)
        # Made here, not by the jobs: a boto3 session is not safe to make clients from
        # on several threads at once.
        sqs = backend.client("sqs")
        account, region = backend.account, backend.region
        # One warm environment in this process runs one invocation at a time; LocalStack
        # runs each in its own container.
        one_at_a_time = threading.Lock() if isinstance(executor, InProcessExecutor) else None
        external_api = options.api_url is not None

        def invoke(execution: Execution, payload: Any) -> ExecutionResult:
            clock.sleep_until(execution.at)  # a retry waits its (scaled) minute or two
            if external_api:
                _set_api_time(api_url, clock.now())
            with one_at_a_time or nullcontext():
                run_clock.begin()
                started = run_clock.now()
                answer: InvocationResult = executor.invoke(payload, request_id=execution.request_id)
            with state:
                write_logs(logs, answer, started=started, memory_mb=memory_mb)
            return execution_result(answer)

        def occurrence(scheduled: datetime) -> None:
            with state:
                in_flight[0] += 1
            try:
                delivery = Delivery(
                    config,
                    invoke=invoke,
                    payload_for=payload_source(config, setup, account, region),
                    new_id=lambda: _locked_uuid(ids, state),
                    rng=random.Random(f"{options.seed}:{iso_z(scheduled)}"),
                )
                [record] = delivery.run([scheduled])
                send_dead_letters(sqs, delivery.dead_letters)
                fire = fire_of(record)
                with state:
                    if closing.is_set():  # finished after the summary: in flight
                        cut_short[0] += 1
                        return
                    result.fires.append(fire)
                    fires_out.write(json.dumps(asdict(fire)) + "\n")
                    fires_out.flush()
                    console.print(_line(record, fire))
            except LiveStopped:
                with state:
                    cut_short[0] += 1
            finally:
                with state:
                    in_flight[0] -= 1

        # APScheduler runs on the wall clock: each fire is a job at the wall time the
        # live clock reads its scheduled time, and it plans the next one as it starts.
        trigger = schedule.trigger()
        scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(64)})

        def plan_after(previous: datetime | None) -> None:
            fire = trigger.get_next_fire_time(previous, clock.now())
            if fire is not None and not clock.stopped:
                scheduler.add_job(
                    fire_and_plan,
                    trigger=DateTrigger(run_date=clock.wall_at(fire)),
                    args=[fire],
                    misfire_grace_time=None,  # a late fire still runs, as EventBridge's would
                )

        def fire_and_plan(scheduled: datetime) -> None:
            plan_after(scheduled)
            # On a daemon thread: an invocation in flight at Ctrl-C (a Lambda Invoke on
            # LocalStack cannot be interrupted) must not hold the process open.
            threading.Thread(target=occurrence, args=(scheduled,), daemon=True).start()

        closing = threading.Event()  # set once the summary is being made
        clock.restart()  # the first fire is a schedule's first after now, not after deploying
        result.started = clock.now()
        scheduler.start()
        plan_after(None)
        ready = options.report_dir / "ready"  # the compose health check waits for it
        ready.write_text(iso_z(result.started) + "\n")
        try:
            deadline = None if options.duration is None else time.monotonic() + options.duration
            while deadline is None or time.monotonic() < deadline:
                left = 0.2 if deadline is None else deadline - time.monotonic()
                time.sleep(max(0.0, min(0.2, left)))
        except KeyboardInterrupt:
            console.print("Stopping: no more fires; waits end now.")
        finally:
            ready.unlink(missing_ok=True)
            scheduler.shutdown(wait=False)
            clock.stop()
            give_up = time.monotonic() + STOP_GRACE_SECONDS
            while time.monotonic() < give_up:  # calls in flight may finish meanwhile
                with state:
                    if in_flight[0] == 0:
                        break
                time.sleep(0.1)
            with state:
                closing.set()
                result.in_flight = in_flight[0] + cut_short[0]
    result.stopped = clock.now()
    result.wall_seconds = time.perf_counter() - started_wall
    return result


def _locked_uuid(rng: random.Random, lock: threading.Lock) -> str:
    with lock:
        return seeded_uuid(rng)


def _set_api_time(api_url: str, now: datetime) -> None:
    """Keep an external mock API's logical time on the live clock (best effort: a real
    API has no such control and follows its own clock)."""
    with suppress(httpx.HTTPError):
        httpx.post(f"{api_url}/_clock", json={"now": iso_z(now)}, timeout=2.0)


def _line(record: OccurrenceRecord, fire: Fire) -> str:
    colour = {"succeeded": "green", "dlq": "yellow"}.get(fire.outcome, "red")
    runs = sum(1 for a in record.attempts if a.layer == "lambda")
    n = fire.records_processed
    extra = f", {n} record{'s' if n != 1 else ''}" if fire.outcome == "succeeded" else ""
    return (
        f"{fire.scheduled_time}  [{colour}]{fire.outcome}[/] after {runs}"
        f" run{'s' if runs != 1 else ''}{extra}"
    )


def summary(result: LiveResult) -> Table:
    table = Table(title="Live run", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    counts = collections.Counter(fire.outcome for fire in result.fires)
    table.add_row("backend", result.backend)
    if result.started and result.stopped:
        span = result.stopped - result.started
        table.add_row(
            "clock",
            f"{iso_z(result.started)} to {iso_z(result.stopped)}"
            f" ({_span(span)} in {result.wall_seconds:.1f} s wall)",
        )
    outcome = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "none finished"
    table.add_row("fires", f"{len(result.fires)}: {outcome}")
    if result.in_flight:
        table.add_row("in flight when stopped", str(result.in_flight))
    attempts = sum(len(f.attempts) for f in result.fires)
    table.add_row("attempts", str(attempts))
    table.add_row("records processed", str(sum(f.records_processed for f in result.fires)))
    return table


def _span(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"
