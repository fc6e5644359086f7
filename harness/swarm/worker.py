"""One seed of a swarm, run where a worker runs it: a pool process or a cluster's worker.

Each process keeps one embedded AWS for all the seeds it is given (reset between runs,
as the test suite's workers do) and runs one seed at a time: the virtual clocks and the
direct transport are the process's own, so a cluster worker's threads take turns.
A failing seed's plan is shrunk in the same task, and its run's report directory comes
back as a gzipped tar, so that a cluster's workers need no file system in common with
the machine that asked.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from mock_api import FaultPlan

from ..delivery.policy import fault_plan_for
from ..errors import BadInput, Terminated
from ..options import RunOptions
from ..report.checks import forget_check
from .shrink import Element, elements_of, keep_only, plan_document, shrink
from .verdict import Verdict, verdict_of

if TYPE_CHECKING:
    from ..aws.embedded import EmbeddedBackend

_one_at_a_time = threading.Lock()
_backend: list[EmbeddedBackend] = []  # this process's, started at its first seed


@dataclass(frozen=True)
class Job:
    options: RunOptions  # the swarm's run options; seed, faults and report dir set per run
    seed: int
    shrink_runs: int  # the bound on re-runs while shrinking
    home: str = ""  # the swarm's directory: where a --check module beside the user is found


def run_job(job: Job) -> dict[str, Any]:
    """The seed's verdict, its minimal plan when it failed, and the failing run's files."""
    prefix = _scratch_prefix(os.getpid())
    with _one_at_a_time, tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        if job.home and job.home not in sys.path:  # a cluster worker's directory is its own
            sys.path.append(job.home)
        started = time.perf_counter()
        theirs = bool(job.options.api_upstream or job.options.api_cassette)
        try:
            plan = fault_plan_for(job.options.faults, job.seed, any_api=theirs)
        except BadInput as exc:
            return _result(job.seed, Verdict(error=f"BadInput: {exc}"), started)
        first = Path(scratch) / "run"
        verdict = _run(job, job.options.faults, first)
        if verdict.ok or verdict.error is not None:
            kept = None if verdict.ok else _archive(first)  # a passing run's files go
            return _result(job.seed, verdict, started, plan=plan, archive=kept)
        counter = [0]

        def fails_the_same_way(kept: list[Element]) -> bool:
            counter[0] += 1
            trial = Path(scratch) / f"trial-{counter[0]}"
            again = _run(job, keep_only(plan, kept), trial)
            shutil.rmtree(trial, ignore_errors=True)
            return again.cause == verdict.cause

        elements = elements_of(plan)
        shrunk = shrink(elements, fails_the_same_way, job.shrink_runs)
        minimal = keep_only(plan, shrunk.minimal)
        return _result(
            job.seed,
            verdict,
            started,
            plan=plan,
            archive=_archive(first),
            minimal=plan_document(minimal),
            shrink={
                "runs": shrunk.runs,
                "complete": shrunk.complete,
                "elements": len(elements),
                "kept": len(shrunk.minimal),
            },
        )


def start_worker(swarm: int) -> None:
    """A pool process's start. Ctrl-C and SIGTERM are the swarm's to act on (it kills
    its processes; a run cut short here would be recorded as a verdict), and a worker
    whose swarm is gone (SIGKILL, OOM) goes too, rather than wait for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    def watch() -> None:
        while os.getppid() == swarm:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="swarm-watch", daemon=True).start()


def _scratch_prefix(pid: int) -> str:
    return f"harness-swarm-{pid}-"


def forget_scratch(pid: int) -> None:
    """The scratch directories of a worker killed mid-seed (it could not clean up)."""
    for leftover in Path(tempfile.gettempdir()).glob(_scratch_prefix(pid) + "*"):
        shutil.rmtree(leftover, ignore_errors=True)


def lost(seed: int, exc: BaseException) -> dict[str, Any]:
    """The result of a seed whose worker died under it: an error, not a crash of the swarm."""
    error = " ".join(f"worker lost, {type(exc).__name__}: {exc}".split())[:500]
    return _result(seed, Verdict(error=error), time.perf_counter())


def _run(job: Job, faults: str | FaultPlan, report_dir: Path) -> Verdict:
    from ..runner import run

    options = replace(
        job.options, seed=job.seed, faults=faults, report_dir=report_dir, show_progress=False
    )
    try:
        result = run(options, Console(quiet=True), backend=_started_backend())
    except BadInput as exc:
        return Verdict(error=f"BadInput: {exc}")
    except Exception as exc:  # the harness broke on this seed: a result, not a crash
        return Verdict(error=" ".join(f"{type(exc).__name__}: {exc}".split())[:500])
    finally:
        if options.check is not None:
            forget_check(options.check)
    stopped = result.report.get("interruption")
    if stopped:  # Ctrl-C or SIGTERM cut the run short: no verdict, the swarm stops
        raise Terminated() if stopped["signal"] == "SIGTERM" else KeyboardInterrupt()
    return verdict_of(result.report, result.tables, result.resources.get("SyncTable"))


def _started_backend() -> EmbeddedBackend:
    if not _backend:
        from ..aws.embedded import EmbeddedBackend

        _backend.append(EmbeddedBackend().__enter__())  # lives as long as the process
    return _backend[0]


def _archive(report_dir: Path) -> bytes | None:
    if not report_dir.is_dir():
        return None
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        tar.add(report_dir, arcname=".")
    return packed.getvalue()


def _result(
    seed: int,
    verdict: Verdict,
    started: float,
    *,
    plan: FaultPlan | None = None,
    archive: bytes | None = None,
    minimal: dict[str, Any] | None = None,
    shrink: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "seed": seed,
        "ok": verdict.ok,
        "broken": verdict.broken,
        "error": verdict.error,
        "cause": verdict.cause,
        # a failing seed's whole plan (a passing one's is the seed's to draw again)
        "plan": plan_document(plan) if plan is not None and not verdict.ok else None,
        "minimal_plan": minimal,
        "shrink": shrink,
        "wall_seconds": round(time.perf_counter() - started, 3),
        "worker": f"{socket.gethostname()}/{os.getpid()}",  # which machine, which process
        "archive": archive,
    }
