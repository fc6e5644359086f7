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

import contextlib
import importlib
import multiprocessing
import os
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..errors import BadInput
from .worker import Job, leave_signals, lost, run_job

CONNECT_TIMEOUT_SECONDS = 20


class EngineLost(Exception):
    """The engine itself went away (a cluster's scheduler, its connection): no seed's
    fault, so nothing is recorded for the seeds it held."""


class Engine:
    """Runs jobs; `results` yields each result as its job finishes, in any order."""

    name = "engine"
    workers = 1

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def stop(self) -> None:
        """Drop what is still running, now (Ctrl-C, SIGTERM, enough failures)."""

    def close(self) -> None:
        """Release the engine once every result was taken."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalEngine(Engine):
    """A process per worker, each given at most one seed at a time, so that when a
    process dies under a seed (a handler's `os._exit`, the kernel's OOM killer) only the
    seeds it could have been running are suspects: each is run again alone, and only one
    that takes its process down alone is an error. `in_process` runs the seeds in this
    process instead (for tests and libraries; a crash there is this process's)."""

    name = "local"

    def __init__(self, workers: int, *, in_process: bool = False) -> None:
        self.workers = workers
        self._in_process = in_process
        self._pool: ProcessPoolExecutor | None = None
        self._before: set[int | None] = set()

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        pending = deque(jobs)
        self.workers = max(1, min(self.workers, len(pending)))  # no process without a seed
        if self._in_process:
            while pending:
                yield run_job(pending.popleft())
            return
        while pending:
            suspects = yield from self._until_broken(pending)
            for job in suspects:
                yield self._alone(job)

    def _until_broken(self, pending: deque[Job]) -> Generator[dict[str, Any], None, list[Job]]:
        """Results until the jobs run out, or the pool breaks: then the jobs it held."""
        pool = self._start(self.workers)
        running: dict[Future[dict[str, Any]], Job] = {}
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    job = pending.popleft()
                    running[pool.submit(run_job, job)] = job
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        return [job, *running.values()]
                    except Exception as exc:  # the harness broke outside a run: that seed's
                        result = lost(job.seed, exc)
                    yield result
            return []
        finally:
            self.stop()

    def _alone(self, job: Job) -> dict[str, Any]:
        pool = self._start(1)
        try:
            return pool.submit(run_job, job).result()
        except Exception as exc:  # BrokenProcessPool: it takes its process down alone
            return lost(job.seed, exc)
        finally:
            self.stop()

    def _start(self, workers: int) -> ProcessPoolExecutor:
        before = {child.pid for child in multiprocessing.active_children()}
        # spawn, not fork: this process has threads (the progress bar, servers in tests);
        # the workers leave Ctrl-C and SIGTERM to this process, which stops them.
        self._pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=leave_signals
        )
        self._before = before  # children that are not the pool's (a local cluster's)
        return self._pool

    def stop(self) -> None:
        if self._pool is None:
            return
        self._pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            if child.pid not in self._before:
                child.kill()  # a seed that is still running is not waited for
                child.join(timeout=10)
        self._pool = None

    def close(self) -> None:
        self.stop()


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
        shown = address if len(address) <= 80 else address[:77] + "..."
        try:
            self._client = self._dask.Client(address, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise BadInput(
                f"--cluster {shown!r}: no Dask scheduler answered ({type(exc).__name__}:"
                f" {' '.join(str(exc).split())[:200]}); start one with `dask scheduler`"
            ) from None
        try:
            self._client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError):
            self._client.close()
            raise BadInput(
                f"--cluster {shown!r}: the scheduler has no workers; start them with"
                f" `dask worker {shown} --nthreads 1`"
            ) from None
        # one seed at a time per worker process: its threads take turns
        self.workers = max(1, len(self._client.nthreads()))
        self._futures: list[Any] = []

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        jobs = list(jobs)
        # pure=False: two jobs are never the same task, even if they look alike.
        self._futures = self._client.map(run_job, jobs, pure=False)
        seeds = {future.key: job.seed for future, job in zip(self._futures, jobs, strict=True)}
        for future in self._dask.as_completed(self._futures):
            try:
                result = future.result()
            except self._dask.KilledWorker as exc:  # the seed took its workers down
                result = lost(seeds[future.key], exc)
            except Exception as exc:  # cancelled, the scheduler gone: not the seed's doing
                raise EngineLost(f"{type(exc).__name__}: {exc}") from None
            yield result

    def stop(self) -> None:
        if self._futures:
            self._client.cancel(self._futures)
            self._futures = []

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a scheduler already gone has nothing to free
            self.stop()
            self._client.close()


def engine_for(workers: int | None, cluster: str | None, *, in_process: bool = False) -> Engine:
    if cluster is not None:
        return DaskEngine(cluster)
    return LocalEngine(workers or usable_cores(), in_process=in_process)


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
