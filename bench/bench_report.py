"""Benchmark for the run page (issue: a run report a person can read).

Target: building report.html for a 365-day run of a 15-minute schedule (35,040
occurrences) takes under 5 s and yields a file under 5 MB.

A real run of that size takes hours of function work, so its run directory is made up
from a real 3-day run: the same report and journal shapes, repeated to 35,040
occurrences with a failed, retried one every 97th and two API requests per run. Side
by side, the page of the real 90-day nightly run (`make run`'s shape) is built too.

Usage: .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.report.page import build
from harness.runner import RunOptions, run

START = datetime(2026, 1, 1, tzinfo=UTC)
OCCURRENCES = 35_040
STEP = timedelta(minutes=15)
SECONDS_TARGET, MB_TARGET = 5.0, 5.0


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def year_of_quarter_hours(sample: dict[str, Any], out: Path) -> None:
    """A 35,040-occurrence run directory in the shape the harness writes."""
    fires, journal = [], []
    template = sample["fires"][0]
    for i in range(OCCURRENCES):
        at = START + i * STEP
        failed = i % 97 == 0
        attempts = [
            {
                **template["attempts"][0],
                "at": iso(at + timedelta(minutes=minute)),
                "status": "function_error" if failed and minute < 3 else "succeeded",
                "duration_ms": 900 + i % 400,
                "request_id": f"r{i}-{minute}",
            }
            for minute in ((0, 1, 3) if failed else (0,))
        ]
        fires.append(
            {**template, "scheduled_time": iso(at), "attempts": attempts,
             "records_processed": i % 30, "table_items": 1000 + i,
             "table_active": 1000 + i // 2 if i % 351 == 0 else None}
        )  # fmt: skip
        for page in range(2):
            journal.append(
                {"seq": 2 * i + page, "logical_time": iso(at), "method": "GET",
                 "path": "/records", "status": 503 if failed and page else 200,
                 "fault": "503" if failed and page else None}
            )  # fmt: skip
    end = START + OCCURRENCES * STEP
    report = {
        **sample,
        "schedule": "rate(15 minutes)",
        "start": iso(START),
        "end": iso(end),
        "virtual_seconds": (end - START).total_seconds(),
        "fires": fires,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report))
    (out / "journal.jsonl").write_text("\n".join(json.dumps(e) for e in journal) + "\n")


def timed_build(report_dir: Path) -> tuple[float, float]:
    started = time.perf_counter()
    page = build(report_dir)
    return time.perf_counter() - started, page.stat().st_size / 1_000_000


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        nightly = run(
            RunOptions(days=90, faults="flaky", report_dir=root / "nightly", show_progress=False)
        )
        sample = run(
            RunOptions(days=3, faults="none", report_dir=root / "sample", show_progress=False)
        ).report
        year_of_quarter_hours(sample, root / "year")
        rows = [
            ("90-day nightly run (real)", len(nightly.report["fires"]), root / "nightly"),
            ("365-day 15-minute run", OCCURRENCES, root / "year"),
        ]
        print(f"{'page of':<28}{'occurrences':>12}{'build s':>10}{'MB':>8}")
        results = []
        for label, count, directory in rows:
            seconds, megabytes = timed_build(directory)
            results.append((seconds, megabytes))
            print(f"{label:<28}{count:>12,}{seconds:>10.2f}{megabytes:>8.2f}")
        seconds, megabytes = results[-1]
        print(
            f"\nyear page: {seconds:.2f} s of {SECONDS_TARGET:.0f} s"
            f" (x{seconds / SECONDS_TARGET:.2f} of the target),"
            f" {megabytes:.2f} MB of {MB_TARGET:.0f} MB (x{megabytes / MB_TARGET:.2f});"
            f" {seconds / max(results[0][0], 1e-9):.0f}x the nightly page's time for"
            f" {OCCURRENCES / len(nightly.report['fires']):.0f}x its occurrences"
        )


if __name__ == "__main__":
    main()
