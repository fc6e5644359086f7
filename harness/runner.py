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
from dataclasses import asdict, dataclass, field
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

from .backend import EmbeddedBackend
from .clock import VirtualClock
from .errors import BadInput
from .events import iso_z, seeded_uuid
from .executor import InProcessExecutor, InvocationResult
from .report import (
    Attempt,
    Fire,
    dump_table,
    fault_summary,
    summary_table,
    totals,
    write_journal,
    write_report,
)
from .schedules import Schedule
from .stack import StackSpec, provision
from .truth import check_records

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
EXECUTORS = ("inprocess",)


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
    faults: str = "none"  # profile name or rule file for the mock API
    show_progress: bool = True


@dataclass
class RunResult:
    report: dict[str, Any]
    report_path: Path
    tables: dict[str, list[dict[str, Any]]]
    dataset: Dataset
    journal: list[Entry]


def run(options: RunOptions, console: Console | None = None) -> RunResult:
    console = console or Console(stderr=True)
    started_wall = time.perf_counter()
    _check(options)
    plan = _fault_plan(options.faults)
    end = options.start + timedelta(days=options.days)
    schedule = Schedule.parse(options.schedule, timezone=options.timezone, created=options.start)
    occurrences = list(schedule.fires(options.start, end))
    report_dir = _prepare_report_dir(options.report_dir)

    rng = random.Random(options.seed)
    clock = VirtualClock(options.start)
    dataset = Dataset(
        seed=options.seed, origin=options.start, changes_per_day=options.changes_per_day
    )
    token = f"tok_{rng.getrandbits(96):024x}"
    spec = StackSpec()
    fires: list[Fire] = []
    with ExitStack() as services:
        starting = "Starting the embedded AWS and the mock API, deploying the stack"
        with console.status(starting) if options.show_progress else nullcontext():
            backend = services.enter_context(EmbeddedBackend())
            api_app = create_app(dataset, token=token, clock=clock, faults=plan, seed=options.seed)
            api = services.enter_context(BackgroundServer(api_app))
            deployed = provision(backend, spec, schedule=schedule, api_url=api.url, api_token=token)
        function = deployed.function(options.environment)
        usage_before = backend.usage()
        loop_started = time.perf_counter()
        with (
            function_runtime(clock),
            InProcessExecutor(
                function, clock=clock, runtime_environment=backend.environment()
            ) as executor,
            (report_dir / "logs.jsonl").open("w", encoding="utf-8") as logs,
            _progress(console, len(occurrences), options.show_progress) as advance,
        ):
            for scheduled in occurrences:
                if scheduled > clock.now():
                    clock.advance_to(scheduled)
                event = deployed.event(seeded_uuid(rng), scheduled)
                attempt_at = clock.now()
                result = executor.invoke(event, request_id=seeded_uuid(rng))
                _write_logs(logs, result)
                fires.append(_fire(scheduled, event["id"], attempt_at, result))
                advance(scheduled)
        loop_seconds = time.perf_counter() - loop_started
        mock_api = api_app.state.api
        journal = mock_api.journal.entries()
        fault_stats = mock_api.engine.stats()
        backend_seconds = backend.usage().seconds - usage_before.seconds
        tables = {
            table: dump_table(
                backend.table_items(table), key, report_dir / "tables" / f"{table}.jsonl"
            )
            for table, key in ((spec.records_table, "id"), (spec.sync_table, "syncId"))
        }

    wall = time.perf_counter() - started_wall
    virtual = (end - options.start).total_seconds()
    invocation_seconds = sum(a.wall_ms for f in fires for a in f.attempts) / 1000
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
        "faults": fault_summary(options.faults, fault_stats, journal),
        "tables": {
            spec.records_table: _record_stats(tables[spec.records_table]),
            spec.sync_table: {"items": len(tables[spec.sync_table])},
        },
        "truth": check_records(
            dataset, tables[spec.records_table], tables[spec.sync_table], end
        ).to_dict(),
        "fires": [asdict(fire) for fire in fires],
    }
    write_journal(journal, report_dir / "journal.jsonl")
    path = write_report(report, report_dir)
    return RunResult(
        report=report, report_path=path, tables=tables, dataset=dataset, journal=journal
    )


def print_summary(result: RunResult, console: Console) -> None:
    console.print(summary_table(result.report))
    console.print(f"Report: [bold]{result.report_path}[/]")


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
    if options.changes_per_day < 1:
        raise BadInput("--changes-per-day must be at least 1")


def _fault_plan(spec: str) -> FaultPlan:
    try:
        return load_faults(spec)
    except FaultRuleError as exc:
        raise BadInput(f"--faults: {exc}") from None


def _prepare_report_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BadInput(f"report dir {str(path)!r} is not writable: {exc.strerror or exc}") from None
    return path


@contextmanager
def function_runtime(clock: VirtualClock) -> Iterator[None]:
    """Point our function's clock seam at virtual time and start it cold."""
    from function import clock as function_clock
    from function import handler as function_handler

    previous = function_clock.set_clock(clock)
    function_handler.reset_warm_state()
    try:
        yield
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


def _write_logs(out: IO[str], result: InvocationResult) -> None:
    for line in result.logs:
        if line.startswith("{"):
            out.write(line + "\n")
        else:
            out.write(json.dumps({"requestId": result.request_id, "message": line}) + "\n")


def _fire(scheduled: datetime, event_id: str, at: datetime, result: InvocationResult) -> Fire:
    attempt = Attempt(
        at=iso_z(at),
        status=result.status,
        duration_ms=result.duration_ms,
        error=result.error,
        request_id=result.request_id,
        wall_ms=round(result.wall_ms, 2),
    )
    body = result.response.get("body") if isinstance(result.response, dict) else None
    body = body if isinstance(body, dict) else {}
    succeeded = result.status == "succeeded"
    return Fire(
        scheduled_time=iso_z(scheduled),
        event_id=event_id,
        outcome="succeeded" if succeeded else "failed",
        attempts=[attempt],
        sync_id=body.get("syncId") if succeeded else None,
        records_processed=int(body.get("recordsProcessed", 0)) if succeeded else 0,
        sync_status=str(body.get("status", "success")) if succeeded else "failed",
    )


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
