"""The swarm as a whole: the seeds checked, handed to an engine, and each result written
down as it comes (runs.jsonl first, so that Ctrl-C loses nothing that finished)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mock_api.profiles import PROFILES as FAULT_PROFILES

from ..delivery.policy import fault_plan_for
from ..errors import BadInput, Terminated
from ..latency.profiles import PROFILES as LATENCY_PROFILES
from ..options import MAX_SEED, RunOptions, check_options
from ..report.document import make_writable
from .engines import EngineLost, engine_for
from .files import (
    RUNS,
    causes,
    forget,
    plan_path,
    read_done,
    record,
    write_swarm_html,
    write_swarm_json,
)
from .replay import replay_command, settings_key
from .worker import Job

MAX_SEEDS = 1_000_000
MAX_WORKERS = 1024
MAX_SHRINK_RUNS = 1000
_SEEDS = re.compile(r"^\d{1,19}(-\d{1,19})?$")


@dataclass
class SwarmOptions:
    run: RunOptions  # what every seed runs with (faults: random, a profile or a file)
    seeds: list[int]
    seeds_text: str = ""  # as given: `1-1000`
    workers: int | None = None  # None: one per core
    cluster: str | None = None  # a Dask scheduler's address
    shrink_runs: int = 32  # re-runs per failing seed while shrinking its plan
    max_failures: int = 0  # stop once this many seeds failed (0: never)
    report_dir: Path = Path("out/swarm")
    show_progress: bool = True
    fresh: bool = False  # forget the seeds an earlier swarm finished in report_dir
    in_process: bool = False  # the seeds run in this process (tests, libraries)


@dataclass
class SwarmResult:
    document: dict[str, Any]
    path: Path
    interrupted: str | None = None  # SIGINT, SIGTERM, or why the cluster went away

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [run for run in self.document["runs"] if not run["ok"]]


def parse_seeds(text: str) -> list[int]:
    """`1-1000`, `7` or `1-10,50,90-95`: the seeds in order, each once."""
    if len(text) > 1000 or not text:
        raise BadInput("--seeds must look like 1-1000, 7 or 1-10,50 (at most 1,000 characters)")
    seeds: dict[int, None] = {}
    for part in text.split(","):
        part = part.strip()
        if not _SEEDS.match(part):
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise BadInput(f"--seeds: {shown!r} is not a seed (N) or a range (A-B)")
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if last < first or last > MAX_SEED:
            raise BadInput(f"--seeds: {part!r} must run upwards, from 0 to at most 2**63 - 1")
        if last - first + 1 > MAX_SEEDS:
            raise BadInput(f"--seeds: at most {MAX_SEEDS:,} seeds in one swarm")
        seeds.update(dict.fromkeys(range(first, last + 1)))
        if len(seeds) > MAX_SEEDS:  # counted once each
            raise BadInput(f"--seeds: at most {MAX_SEEDS:,} seeds in one swarm")
    return list(seeds)


def _check(options: SwarmOptions) -> None:
    if options.workers is not None and not 1 <= options.workers <= MAX_WORKERS:
        raise BadInput(f"--workers must be 1 to {MAX_WORKERS}, got {options.workers}")
    if options.workers is not None and options.cluster is not None:
        raise BadInput("give --workers or --cluster, not both (a cluster has its own workers)")
    if not 0 <= options.shrink_runs <= MAX_SHRINK_RUNS:
        raise BadInput(f"--shrink-runs must be 0 to {MAX_SHRINK_RUNS}, got {options.shrink_runs}")
    if not 0 <= options.max_failures <= MAX_SEEDS:
        raise BadInput(f"--max-failures must be 0 to {MAX_SEEDS:,}, got {options.max_failures}")
    if not isinstance(options.run.faults, str):
        raise BadInput("a swarm's faults are random, a profile or a rule file")
    first = replace(options.run, seed=options.seeds[0])
    check_options(first)  # the options every run takes, with the run's own words
    theirs = bool(first.api_upstream or first.api_cassette)
    fault_plan_for(first.faults, first.seed, any_api=theirs)  # the profile or file loads
    make_writable(options.report_dir)
    shown = str(options.report_dir)[:80]
    for name, is_dir in ((RUNS, False), ("seeds", True), ("swarm.json", False)):
        there = options.report_dir / name
        if there.exists() and there.is_dir() != is_dir:
            kind = "a directory" if there.is_dir() else "a file"
            raise BadInput(f"--report-dir {shown!r}: {name} is {kind}; remove it or choose another")


def _absolute(options: RunOptions) -> RunOptions:
    """Paths a worker reads, made absolute: a worker's directory need not be ours."""

    def file_or_name(spec: str, names: tuple[str, ...]) -> str:  # a name is a profile's
        return str(Path(spec).resolve()) if spec not in names and Path(spec).is_file() else spec

    return replace(
        options,
        code_dir=options.code_dir.resolve() if options.code_dir else None,
        template=options.template.resolve() if options.template else None,
        data=options.data.resolve() if options.data else None,
        api_cassette=options.api_cassette.resolve() if options.api_cassette else None,
        faults=file_or_name(str(options.faults), (*FAULT_PROFILES, "random")),
        latency=file_or_name(options.latency, LATENCY_PROFILES),
    )


def run_swarm(options: SwarmOptions, console: Console | None = None) -> SwarmResult:
    console = console or Console(stderr=True)
    _check(options)
    faults, report_dir = str(options.run.faults), options.report_dir
    if options.fresh:
        forget(report_dir)
    key = settings_key(options.run, faults, options.shrink_runs, report_dir)
    wanted = set(options.seeds)
    done = {s: r for s, r in read_done(report_dir, key).items() if s in wanted}
    todo = [seed for seed in options.seeds if seed not in done]
    failed = sum(not r["ok"] for r in done.values())
    runs = dict(done)
    interrupted: str | None = None
    started = time.perf_counter()
    engine = engine_for(options.workers, options.cluster, in_process=options.in_process)
    base, home = _absolute(options.run), str(Path.cwd())
    jobs = [Job(base, seed, options.shrink_runs, home) for seed in todo]
    stop_at = options.max_failures
    try:
        with engine, _progress(console, len(todo), options.show_progress) as (bar, task):
            if stop_at and failed >= stop_at:
                jobs = []
            for result in engine.results(jobs):
                archive = result.pop("archive")
                result = _with_replays(result, options, key)
                if result["error"] is not None and result["error"].startswith("BadInput: "):
                    message = result["error"].removeprefix("BadInput: ")
                    raise BadInput(f"seed {result['seed']}: {message}")
                record(report_dir, result, archive)
                runs[result["seed"]] = result
                failed += not result["ok"]
                bar.update(task, advance=1, description=_described(failed))
                if stop_at and failed >= stop_at:
                    engine.stop()  # the seeds still running are not waited for
                    break
    except KeyboardInterrupt as stop:
        engine.stop()
        interrupted = "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"
    except EngineLost as gone:
        interrupted = f"the cluster went away ({' '.join(str(gone).split())[:200]})"
    wall = time.perf_counter() - started
    document = _document(options, runs, len(runs) - len(done), len(done), wall, engine)
    document["interrupted"] = interrupted is not None
    path = write_swarm_json(report_dir, document)
    write_swarm_html(report_dir, document)
    return SwarmResult(document, path, interrupted)


def _with_replays(result: dict[str, Any], options: SwarmOptions, key: str) -> dict[str, Any]:
    seed, faults = result["seed"], str(options.run.faults)
    home = options.report_dir / "seeds" / str(seed)
    own = replay_command(options.run, seed, faults, home / "run")
    minimal = (
        replay_command(options.run, seed, plan_path(options.report_dir, seed), home / "replay")
        if result["minimal_plan"] is not None
        else None
    )
    return {**result, "settings": key, "replay": minimal or own, "replay_seed": own}


def _document(
    options: SwarmOptions,
    runs: dict[int, dict[str, Any]],
    ran: int,
    resumed: int,
    wall: float,
    engine: Any,
) -> dict[str, Any]:
    ordered = [runs[seed] for seed in options.seeds if seed in runs]
    shown = [{k: v for k, v in r.items() if k != "settings"} for r in ordered]
    summary = {
        "range": options.seeds_text or f"{options.seeds[0]}-{options.seeds[-1]}",
        "seeds": len(options.seeds),
        "finished": len(ordered),
        "held": sum(r["ok"] for r in ordered),
        "failed": sum(not r["ok"] and r["error"] is None for r in ordered),
        "errors": sum(r["error"] is not None for r in ordered),
        "ran": ran,
        "resumed": resumed,
        "wall_seconds": round(wall, 3),
        "seeds_per_second": round(ran / wall, 3) if wall and ran else 0.0,
        "engine": engine.name,
        "workers": engine.workers,
        "days": options.run.days,
        "faults": str(options.run.faults),
        "shrink_runs": options.shrink_runs,
        "causes": causes(shown),
    }
    return {"summary": summary, "runs": shown}


def _described(failed: int) -> str:
    return f"seeds ({failed} failed)" if failed else "seeds"


class _progress:
    """A bar that counts seeds as they finish (any order), or nothing at all."""

    def __init__(self, console: Console, total: int, show: bool) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not show,
            transient=False,
        )
        self._task = self._bar.add_task("seeds", total=total)

    def __enter__(self) -> tuple[Progress, Any]:
        self._bar.__enter__()
        return self._bar, self._task

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)
