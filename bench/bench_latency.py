"""What the latency model costs: a year of the nightly sync with `--latency default`
against `--latency none`, side by side in one process (target: default at most 10%
slower), with the virtual Durations each gives, and the cost of one draw.

The two runs alternate (none, default, none, default, ... for --rounds) so that drift in
the machine's speed falls on both; each side's figure is its best round.

Usage: .venv/bin/python bench/bench_latency.py [--days 365] [--rounds 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.aws.embedded import EmbeddedBackend
from harness.latency import load_latency
from harness.runner import RunOptions, run


def year(backend: EmbeddedBackend, days: float, latency: str, out: Path) -> dict[str, Any]:
    result = run(
        RunOptions(days=days, latency=latency, report_dir=out, show_progress=False),
        backend=backend,
    )
    return result.report


def durations(report: dict[str, Any]) -> list[int]:
    return [a["duration_ms"] for f in report["fires"] for a in f["attempts"]]


def per_draw_seconds(draws: int) -> float:
    model = load_latency("default", seed=1)
    distribution = model.aws_call("DynamoDB", "PutItem")
    started = time.perf_counter()
    for i in range(draws):
        model.draw_ms(distribution, f"request-{i // 8}", "aws:DynamoDB:PutItem")
    return (time.perf_counter() - started) / draws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    walls: dict[str, list[float]] = {"none": [], "default": []}
    reports: dict[str, dict[str, Any]] = {}
    with EmbeddedBackend() as backend:
        year(backend, 2, "none", out / "warm-up")  # imports and caches, for neither side
        for n in range(args.rounds):
            for latency in ("none", "default"):
                print(f"round {n + 1}/{args.rounds}: --latency {latency} ...", flush=True)
                reports[latency] = year(backend, args.days, latency, out / latency)
                walls[latency].append(reports[latency]["wall_seconds"])

    print()
    print(f"harness run --days {args.days:g}, nightly sync, in process, best of {args.rounds}")
    print(f"  {'--latency':<12}{'wall s':>9}{'Duration p50':>15}{'p99':>9}{'max':>9}")
    for latency, report in reports.items():
        d = durations(report)
        cuts = statistics.quantiles(d, n=100, method="inclusive") if len(d) > 1 else [d[0]] * 99
        print(
            f"  {latency:<12}{min(walls[latency]):>9.1f}{cuts[49]:>12.0f} ms"
            f"{cuts[98]:>6.0f} ms{max(d):>6.0f} ms"
        )
    ratio = min(walls["default"]) / min(walls["none"])
    print(f"  default / none wall time: {ratio:.3f} (target <= 1.10)")
    print(f"  one draw of the model: {per_draw_seconds(100_000) * 1e6:.2f} µs")


if __name__ == "__main__":
    main()
