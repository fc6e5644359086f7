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
import signal
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..errors import BadInput
from .worker import Job, forget_scratch, lost, run_job, start_worker

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
        """Results until the jobs run out, or the pool breaks: then the jobs it held
        that did not finish."""
        pool = self._start(self.workers)
        running: dict[Future[dict[str, Any]], Job] = {}
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    job = pending.popleft()
                    try:
                        with _signals_held():  # a worker being born ignores Ctrl-C first
                            running[pool.submit(run_job, job)] = job
                    except BrokenProcessPool:  # it broke while a result was being written
                        pending.appendleft(job)
                        return (yield from _harvest(running))
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in finished):
                    return (yield from _harvest(running))
                for future in finished:
                    yield _result_of(future, running.pop(future))
            return []
        finally:
            self.stop()

    def _alone(self, job: Job) -> dict[str, Any]:
        pool = self._start(1)
        try:
            with _signals_held():
                future = pool.submit(run_job, job)
            wait([future])
            return _result_of(future, job)  # BrokenProcessPool: it takes its process down
        finally:
            self.stop()

    def _start(self, workers: int) -> ProcessPoolExecutor:
        # spawn, not fork: this process has threads (the progress bar, servers in tests);
        # the workers leave Ctrl-C and SIGTERM to this process, which stops them.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )
        return self._pool

    def stop(self) -> None:
        if self._pool is None:
            return
        # The pool's own processes (a private map, but the only list of them there is).
        processes = list(getattr(self._pool, "_processes", None) or {})
        self._pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            if child.pid is not None and child.pid in processes:
                child.kill()  # a seed that is still running is not waited for
                child.join(timeout=10)
                forget_scratch(child.pid)  # a killed worker's runs leave their files
        self._pool = None

    def close(self) -> None:
        self.stop()


def _result_of(future: Future[dict[str, Any]], job: Job) -> dict[str, Any]:
    """A finished job's result; whatever the task raised (a handler's `sys.exit` that got
    past the runtime, the pool broken under it) is that seed's error."""
    failure = future.exception()
    return future.result() if failure is None else lost(job.seed, failure)


def _harvest(
    running: dict[Future[dict[str, Any]], Job],
) -> Generator[dict[str, Any], None, list[Job]]:
    """A broken pool's jobs: those that finished are results; the rest are suspects."""
    suspects = []
    for future, job in running.items():
        if future.done() and future.exception() is None:
            yield future.result()
        else:
            suspects.append(job)
    return suspects


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back while a worker may be spawned: it inherits the mask,
    so it cannot be interrupted before it has set them aside (`start_worker`); here,
    the signal arrives once the mask is lifted."""
    stops = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


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
            except Exception as exc:
                if future.status != "error":  # cancelled, the scheduler gone: not the seed's
                    raise EngineLost(f"{type(exc).__name__}: {exc}") from None
                result = lost(seeds[future.key], exc)  # its task raised, or KilledWorker
            yield result

    def stop(self) -> None:
        """Queued seeds are dropped; a seed already running on a worker finishes there
        (Dask does not stop a running task), and its result is not waited for."""
        futures, self._futures = self._futures, []
        with contextlib.suppress(Exception):  # a scheduler already gone has nothing to cancel
            self._client.cancel(futures)

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(Exception):
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
