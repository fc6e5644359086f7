"""Where a swarm's seeds run: this machine's cores, or a Dask cluster.

An engine takes the jobs and yields each result as it finishes; the swarm writes each
down as it comes, so a stopped swarm keeps what finished. The local engine is one
process per worker (each with its own embedded AWS), or this process alone for one
worker. The cluster engine hands the same jobs to an existing Dask scheduler: Dask is
pure Python and light to install (about 25 MB against Ray's 200), its clusters run where
data teams already run them (Kubernetes, YARN, SLURM, Coiled), and it schedules many
short tasks with about a millisecond of overhead each.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

from ..errors import BadInput
from .worker import Job, lost, run_job

CONNECT_TIMEOUT_SECONDS = 20


class Engine:
    """Runs jobs; `results` yields each result as its job finishes, in any order."""

    name = "engine"
    workers = 1

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop what is still running (after Ctrl-C, or a stop on enough failures)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalEngine(Engine):
    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        jobs = list(jobs)
        self.workers = max(1, min(self.workers, len(jobs)))  # no process without a seed
        if self.workers == 1:  # no pool: the seeds run here, one after another
            for job in jobs:
                yield run_job(job)
            return
        # spawn, not fork: this process has threads (the progress bar, servers in tests)
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn")
        )
        futures: dict[Future[dict[str, Any]], Job] = {
            self._pool.submit(run_job, job): job for job in jobs
        }
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the worker process died under the seed (OOM, a crash)
                yield lost(futures[future].seed, exc)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEngine(Engine):
    """A Dask distributed scheduler at `address` (`tcp://host:8786`), its workers able
    to import the harness and to read the function's code at the same paths."""

    name = "dask"

    def __init__(self, address: str) -> None:
        try:  # typed Any: distributed ships no annotations for mypy's strict mode
            self._dask: Any = importlib.import_module("distributed")
        except ImportError:
            raise BadInput(
                "--cluster needs Dask distributed: pip install 'lambda-schedule-harness[cluster]'"
            ) from None
        try:
            self._client = self._dask.Client(address, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            shown = address if len(address) <= 80 else address[:77] + "..."
            raise BadInput(
                f"--cluster {shown!r}: no Dask scheduler answered ({type(exc).__name__}:"
                f" {' '.join(str(exc).split())[:200]}); start one with `dask scheduler`"
            ) from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        self._futures: list[Any] = []

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        # pure=False: two jobs are never the same task, even if they look alike.
        jobs = list(jobs)
        self._futures = self._client.map(run_job, jobs, pure=False)
        seeds = {future.key: job.seed for future, job in zip(self._futures, jobs, strict=True)}
        for future in self._dask.as_completed(self._futures):
            try:
                yield future.result()
            except Exception as exc:  # KilledWorker: the seed took its workers down
                yield lost(seeds[future.key], exc)

    def close(self) -> None:
        if self._futures:
            self._client.cancel(self._futures)
            self._futures = []
        self._client.close()


def engine_for(workers: int | None, cluster: str | None) -> Engine:
    if cluster is not None:
        return DaskEngine(cluster)
    return LocalEngine(workers or os.cpu_count() or 1)
