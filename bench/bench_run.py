"""Benchmark for `harness run` over a year of a daily schedule.

Prints, from runs made side by side in this process:
1. the wall time of `harness run --days 365` on the default dataset with the direct
   transport (the default) and with `--transport http`, alternating, twice each (the
   faster of each pair counts), their ratio, the compression
   ratio (virtual seconds / wall seconds), and the share of the firing loop spent in the
   embedded AWS, in the function (with the mock API) and in the harness (target: the
   year in at most 15 s);
2. the harness's overhead: that loop against a plain loop calling the handler with the
   same events on the same backend and transport (target: ratio under 1.10);
3. the cost of an occurrence as the table grows, in one run that keeps 7 days of records
   (the default keeps 30, so its daily work grows until day 30; with 7 it is the same
   every day from the second week): the median wall time of an occurrence over days
   21-40 and over days 346-365 (target: at most 1.2x), and retention's ScannedCount at
   day 30 and day 365 (target: at most 1.5x).

Usage: .venv/bin/python bench/bench_run.py [--days N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.aws.direct import routed
from harness.aws.embedded import EmbeddedBackend
from harness.clock import VirtualClock
from harness.deploy.provision import HANDLER, StackSpec, provision
from harness.runner import DEFAULT_START, RunOptions, run
from harness.runtime import function_runtime
from harness.runtime.base import load_handler
from harness.runtime.events import seeded_uuid
from harness.runtime.inprocess import InProcessExecutor
from harness.schedules import Schedule
from mock_api import BackgroundServer, Dataset, create_app

SCHEDULE = "cron(0 2 * * ? *)"


def harness_run(
    days: float, report_dir: Path, env: dict[str, str], transport: str = "direct"
) -> dict[str, Any]:
    result = run(
        RunOptions(
            schedule=SCHEDULE,
            days=days,
            seed=1,
            report_dir=report_dir,
            environment=env,
            show_progress=False,
            transport=transport,
        )
    )
    return result.report


def occurrence_ms(report: dict[str, Any], first_day: int, last_day: int) -> float:
    """The median wall time of the occurrences of days first..last (1-based), all attempts."""
    fires = report["fires"][first_day - 1 : last_day]
    return statistics.median(sum(a["wall_ms"] or 0 for a in f["attempts"]) for f in fires)


def plain_loop(days: float) -> tuple[float, float]:
    """(setup + loop, loop) seconds of a bare loop over the same occurrences, with the
    same seeded ids, against the same backend, mock API and stack."""
    started = time.perf_counter()
    start = DEFAULT_START
    schedule = Schedule.parse(SCHEDULE, created=start)
    occurrences = list(schedule.fires(start, start + timedelta(days=days)))
    rng = random.Random(1)
    clock = VirtualClock(start)
    token = f"tok_{rng.getrandbits(96):024x}"
    spec = StackSpec()
    with (
        EmbeddedBackend() as backend,
        routed({backend.endpoint_url: backend.wsgi_app}),
        BackgroundServer(
            create_app(Dataset(seed=1, origin=start), token=token, clock=clock)
        ) as api,
    ):
        deployed = provision(backend, spec, schedule=schedule, api_url=api.url, api_token=token)
        executor = InProcessExecutor(
            deployed.function(), clock=clock, runtime_environment=backend.environment()
        )
        handler = load_handler(HANDLER)
        with function_runtime(clock), executor, contextlib.redirect_stdout(io.StringIO()):
            loop_started = time.perf_counter()
            for at in occurrences:
                clock.advance_to(at)
                event = deployed.event(seeded_uuid(rng), at)
                with contextlib.suppress(Exception):
                    handler(event, executor.context(seeded_uuid(rng)))
            loop = time.perf_counter() - loop_started
    return time.perf_counter() - started, loop


def scanned_by_day(report_dir: Path, start: datetime) -> dict[int, int]:
    scanned: dict[int, int] = {}
    for line in (report_dir / "logs.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("event") == "RETENTION_COMPLETED":
            at = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
            scanned[(at - start).days + 1] = entry["metadata"]["scanned"]
    return scanned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365)
    days = parser.parse_args().days
    out = Path(tempfile.mkdtemp(prefix="bench-run-"))

    # The machines' speed drifts by 10% within minutes: the two transports alternate,
    # twice each, and each is judged by its faster year.
    runs: dict[str, list[dict[str, Any]]] = {"direct": [], "http": []}
    for round_ in (1, 2):
        for transport in ("direct", "http"):
            print(f"{round_}/2 harness run, {days:g} days, --transport {transport} ...", flush=True)
            runs[transport].append(
                harness_run(days, out / f"{transport}-{round_}", {}, transport=transport)
            )
    report = min(runs["direct"], key=lambda r: r["wall_seconds"])
    http = min(runs["http"], key=lambda r: r["wall_seconds"])
    timing = report["timing"]
    print(f"plain loop over the same {report['totals']['fires']} events ...", flush=True)
    plain_total, plain_loop_seconds = plain_loop(days)
    print("harness run with KEEP_RECORDS_DAYS=7 for the cost per occurrence ...", flush=True)
    retention_report = harness_run(days, out / "retention", {"KEEP_RECORDS_DAYS": "7"})
    scanned = scanned_by_day(out / "retention", DEFAULT_START.astimezone(UTC))
    last_day = max(scanned)

    print()
    print(f"harness run --days {days:g} (daily, default dataset ~100 changes/day)")
    walls = {t: ", ".join(f"{r['wall_seconds']:.1f}" for r in rs) for t, rs in runs.items()}
    print(
        f"  wall time, direct        {report['wall_seconds']:8.1f} s   (target <= 15 s;"
        f" runs {walls['direct']} s)"
    )
    print(
        f"  wall time, --transport http {http['wall_seconds']:5.1f} s"
        f"   (http / direct {http['wall_seconds'] / report['wall_seconds']:.2f}x;"
        f" runs {walls['http']} s)"
    )
    print(f"  compression              {report['compression_ratio']:8,.0f} x (virtual s / wall s)")
    print(f"  records table at the end {report['tables']['SyncRecords']['items']:8d} items")
    print(
        f"  firing loop {timing['loop_seconds']:.1f} s: embedded AWS {timing['backend_share']:.0%},"
        f" function + mock API {timing['function_share']:.0%},"
        f" harness {timing['harness_share']:.0%}"
    )
    print("harness overhead (same events, same backend)")
    print(
        f"  harness loop {timing['loop_seconds']:.1f} s vs plain loop {plain_loop_seconds:.1f} s:"
        f" ratio {timing['loop_seconds'] / plain_loop_seconds:.3f} (target < 1.10)"
    )
    print(
        f"  whole run {report['wall_seconds']:.1f} s vs plain set-up + loop {plain_total:.1f} s:"
        f" ratio {report['wall_seconds'] / plain_total:.3f}"
    )
    print("cost per occurrence as the table grows (KEEP_RECORDS_DAYS=7, one run)")
    end_day = int(days)
    if end_day >= 60:
        early, late = (
            occurrence_ms(retention_report, 21, 40),
            occurrence_ms(retention_report, end_day - 19, end_day),
        )
        print(
            f"  median wall per occurrence, days 21-40: {early:.1f} ms;"
            f" days {end_day - 19}-{end_day}: {late:.1f} ms; ratio {late / early:.2f}"
            " (target <= 1.2)"
        )
    day30, dayn = scanned.get(30, 0), scanned[last_day]
    ratio = dayn / day30 if day30 else float("inf")
    print(
        f"  ScannedCount day 30: {day30}   day {last_day}: {dayn}"
        f"   ratio {ratio:.2f} (target <= 1.5)"
    )
    print(f"  records table: {retention_report['tables']['SyncRecords']['items']} items at the end")
    print(f"reports in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
