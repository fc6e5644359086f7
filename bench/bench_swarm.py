"""Benchmark for the swarm (issue: swarm of seeds, cluster, shrinking).

The same swarm, side by side in one run: seeds 1 to N of the chaos workload (our nightly
sync, 30 virtual days, 50 changes a day, each seed's random plan of API and AWS faults),
with 1 local worker, 2 local workers (a process each) and a local Dask
cluster of 2 worker processes; then seeds per second for each and the scaling ratios.
Every figure includes what a user waits for: worker start-up, imports, the embedded AWS
starting in each worker, report files. A planted bug's swarm (the ADD counter) measures
shrinking: re-runs and wall time per failing seed.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_swarm.py [SEEDS]
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.options import RunOptions
from harness.swarm import SwarmOptions, run_swarm

DAYS = 30
CHANGES_PER_DAY = 50
PLANTED = Path(__file__).resolve().parents[1] / "tests" / "planted"


def swarm(out: Path, seeds: int, **where: Any) -> dict[str, Any]:
    options = SwarmOptions(
        run=RunOptions(days=DAYS, faults="random", changes_per_day=CHANGES_PER_DAY),
        seeds=list(range(1, seeds + 1)),
        report_dir=out,
        show_progress=False,
        **where,
    )
    summary = run_swarm(options, Console(quiet=True)).document["summary"]
    if summary["held"] != seeds:
        raise SystemExit(f"the reference sync failed a seed: see {out}/swarm.html")
    return dict(summary)


def shrinking(out: Path) -> dict[str, Any]:
    options = SwarmOptions(
        run=RunOptions(
            days=10,
            faults="random",
            handler="counter.handler",
            code_dir=PLANTED,
            check="planted_checks:counts_each_occurrence_once",
        ),
        seeds=list(range(1, 21)),
        workers=1,
        report_dir=out,
        show_progress=False,
    )
    document = run_swarm(options, Console(quiet=True)).document
    failed = [r for r in document["runs"] if not r["ok"]]
    held = [r for r in document["runs"] if r["ok"]]
    return {
        "failed": len(failed),
        "held": len(held),
        "runs": sum(r["shrink"]["runs"] for r in failed) / max(1, len(failed)),
        "elements": sum(r["shrink"]["elements"] for r in failed) / max(1, len(failed)),
        "failing_wall": sum(r["wall_seconds"] for r in failed) / max(1, len(failed)),
        "passing_wall": sum(r["wall_seconds"] for r in held) / max(1, len(held)),
    }


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def machine_ceiling(tasks: int = 8, size: int = 6_000_000) -> float:
    """What 2 processes gain on this machine for plain Python work: the ceiling."""
    timed = []
    for workers in (1, 2):
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(_spin, [1000] * workers))  # started
            started = time.perf_counter()
            list(pool.map(_spin, [size] * tasks))
            timed.append(time.perf_counter() - started)
    return timed[0] / timed[1]


def main() -> None:
    from distributed import LocalCluster

    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        one = swarm(Path(tmp, "one"), seeds, workers=1)
        rows.append(("1 local worker (a process)", one))
        two = swarm(Path(tmp, "two"), seeds, workers=2)
        rows.append(("2 local workers (a process each)", two))
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            dask = swarm(Path(tmp, "dask"), seeds, cluster=cluster.scheduler_address)
        rows.append(("local Dask cluster, 2 worker processes", dask))
        shrunk = shrinking(Path(tmp, "planted"))
        ceiling = machine_ceiling()
        total = time.perf_counter() - started
    print(
        f"{seeds} seeds of the chaos workload ({DAYS} virtual days, {CHANGES_PER_DAY} changes a"
        f" day, random API and AWS faults), {os.cpu_count()} cores:"
    )
    for label, summary in rows:
        print(
            f"  {label:42} {summary['wall_seconds']:7.1f} s   {summary['seeds_per_second']:.3f}"
            " seeds/s"
        )
    base = one["seeds_per_second"]
    print(
        f"  scaling: 2 local workers x{two['seeds_per_second'] / base:.2f},"
        f" Dask cluster x{dask['seeds_per_second'] / base:.2f} (against 1 worker; 2.00 is"
        " perfect on 2 cores)"
    )
    print(
        f"planted ADD counter, seeds 1-20, 10 days: {shrunk['failed']} failed, each shrunk in"
        f" {shrunk['runs']:.1f} re-runs from {shrunk['elements']:.1f} elements;"
        f" {shrunk['failing_wall']:.1f} s per failing seed (shrinking included) against"
        f" {shrunk['passing_wall']:.2f} s per passing one"
    )
    print(
        f"  this machine's own ceiling: plain Python in 2 processes runs x{ceiling:.2f} the"
        " work of 1"
    )
    print(f"(benchmark total {total:.0f} s)")


if __name__ == "__main__":
    main()
