"""Benchmark for the fault-injection suite (issue: fault-injection integration tests).

Runs the chaos test's workload side by side on one embedded backend: 30 virtual days of
the nightly sync (50 changes a day) with no faults, with AWS rules that never apply (the
fault proxy's cost alone), and with the random fault plans of seeds 1 to 10 (API and
AWS faults mixed), and prints virtual days per wall second for each and their ratios.

Usage: .venv/bin/python bench/bench_chaos.py [SEEDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness.aws.embedded import EmbeddedBackend
from harness.runner import RunOptions, run
from mock_api import FaultPlan, parse_plan
from mock_api.profiles.random_plan import random_plan

DAYS = 30
CHANGES_PER_DAY = 50
UNUSED_AWS_RULES = parse_plan(
    {"aws": [{"match": {"operation": "sqs:*"}, "fault": {"error": "ThrottlingException"}}]}
)


def one(backend: EmbeddedBackend, faults: str | FaultPlan, seed: int, out: Path) -> float:
    """Wall seconds of one 30-day run (backend reset, provisioning and report included)."""
    options = RunOptions(
        days=DAYS,
        seed=seed,
        faults=faults,
        changes_per_day=CHANGES_PER_DAY,
        report_dir=out,
        show_progress=False,
    )
    started = time.perf_counter()
    result = run(options, backend=backend)
    wall = time.perf_counter() - started
    held = all(i["held"] for i in result.report["invariants"]) and result.report["truth"]["ok"]
    if not held:
        raise SystemExit(f"seed {seed}: invariants or ground truth broken; see {out}")
    return wall


def main() -> None:
    seeds = range(1, 1 + (int(sys.argv[1]) if len(sys.argv) > 1 else 10))
    with EmbeddedBackend() as backend, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        one(backend, "none", 1, out)  # warm-up: imports, service models, first window
        plain = statistics.median(one(backend, "none", s, out) for s in seeds)
        proxied = statistics.median(one(backend, UNUSED_AWS_RULES, s, out) for s in seeds)
        chaos = [one(backend, random_plan(s), s, out) for s in seeds]
    rows = [
        ("no faults", plain),
        ("AWS fault proxy, no rule applies", proxied),
        (f"random plans, seeds {seeds[0]}-{seeds[-1]} (median)", statistics.median(chaos)),
    ]
    print(f"{DAYS} virtual days of a nightly sync, {CHANGES_PER_DAY} changes a day, per run:")
    for label, wall in rows:
        print(f"  {label:44} {wall:6.2f} s   {DAYS / wall:6.1f} virtual days/s")
    print(f"  chaos runs: {min(chaos):.2f} to {max(chaos):.2f} s; total {sum(chaos):.1f} s")
    print(
        f"  the proxy's cost: x{proxied / plain:.2f}; a chaos run against none: x"
        f"{statistics.median(chaos) / plain:.2f}"
    )
    print(f"  chaos virtual days per wall second overall: {DAYS * len(chaos) / sum(chaos):.1f}")


if __name__ == "__main__":
    main()
