"""The run's metrics, as CloudWatch would hold them.

- Lambda's own (`AWS/Lambda`, by function): `Invocations` and `Duration` per run,
  `Errors` per run (1 when it failed or timed out, else 0), `Throttles` per throttled
  attempt, derived from the attempts the delivery engine recorded.
- The function's own, published in Embedded Metric Format log lines (`_aws`), as
  CloudWatch Logs would extract them. A run that Lambda stops at its timeout writes
  none (as on AWS): `Failures` counts the failures the function saw itself.

Each metric is a list of (epoch seconds, value) samples; CloudWatch aggregates them per
period with a statistic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..clock import epoch, iso_z

Samples = dict[str, list[tuple[float, float]]]  # (namespace/metric) -> (epoch, value)
LAMBDA = "AWS/Lambda"
RUN_LAYERS = ("lambda", "duplicate")  # attempts that ran the function


def lambda_samples(fires: Iterable[Mapping[str, Any]]) -> Samples:
    samples: Samples = {f"{LAMBDA}/{name}": [] for name in ("Invocations", "Errors", "Duration")}
    samples[f"{LAMBDA}/Throttles"] = []
    for fire in fires:
        for attempt in fire["attempts"]:
            if attempt.get("layer", "lambda") not in RUN_LAYERS:
                continue
            at = epoch(attempt["at"])
            if attempt["status"] == "throttled":
                samples[f"{LAMBDA}/Throttles"].append((at, 1.0))
                continue
            failed = attempt["status"] in ("function_error", "timeout")
            samples[f"{LAMBDA}/Invocations"].append((at, 1.0))
            samples[f"{LAMBDA}/Errors"].append((at, 1.0 if failed else 0.0))
            samples[f"{LAMBDA}/Duration"].append((at, float(attempt["duration_ms"])))
    return samples


def emf_samples(lines: Iterable[str]) -> Samples:
    """Metrics from Embedded Metric Format lines; other lines are skipped."""
    samples: Samples = {}
    for line in lines:
        if '"_aws"' not in line:
            continue
        try:
            document = json.loads(line)
            directive = document["_aws"]
            at = float(directive["Timestamp"]) / 1000
            found = [
                (f"{block['Namespace']}/{metric['Name']}", float(document[metric["Name"]]))
                for block in directive["CloudWatchMetrics"]
                for metric in block["Metrics"]
            ]
        except (ValueError, KeyError, TypeError):
            continue  # not valid EMF: CloudWatch Logs keeps it as a plain log line
        for key, value in found:  # all of a line's metrics, or none of them
            samples.setdefault(key, []).append((at, value))
    return samples


def aggregate(values: list[float], statistic: str) -> float:
    if statistic == "Sum":
        return math.fsum(values)
    if statistic == "Average":
        return math.fsum(values) / len(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "SampleCount":
        return float(len(values))
    raise ValueError(f"statistic {statistic!r} is not supported")


def per_period(samples: list[tuple[float, float]], period: int, statistic: str) -> dict[int, float]:
    """The statistic of the samples in each period (periods start at multiples of the
    period since the epoch, as CloudWatch aligns them); periods with none are absent."""
    grouped: dict[int, list[float]] = {}
    for at, value in samples:
        grouped.setdefault(int(at // period * period), []).append(value)
    return {start: aggregate(values, statistic) for start, values in grouped.items()}


def totals(samples: Samples) -> dict[str, dict[str, float]]:
    """Per metric: samples, sum, average and maximum over the whole run."""
    result = {}
    for key, values in sorted(samples.items()):
        numbers = [v for _, v in values]
        if numbers:
            result[key] = {
                "samples": len(numbers),
                "sum": round(math.fsum(numbers), 3),
                "average": round(math.fsum(numbers) / len(numbers), 3),
                "maximum": max(numbers),
            }
    return result


def lambda_periods(samples: Samples, period: int = 300) -> dict[str, Any]:
    """Lambda's metrics per period, as CloudWatch graphs them: only periods with data,
    each [start, Invocations, Errors, Throttles, Duration average, Duration maximum]."""
    invocations = per_period(samples.get(f"{LAMBDA}/Invocations", []), period, "Sum")
    errors = per_period(samples.get(f"{LAMBDA}/Errors", []), period, "Sum")
    throttles = per_period(samples.get(f"{LAMBDA}/Throttles", []), period, "Sum")
    duration = samples.get(f"{LAMBDA}/Duration", [])
    average = per_period(duration, period, "Average")
    maximum = per_period(duration, period, "Maximum")
    starts = sorted({*invocations, *throttles})
    return {
        "period_seconds": period,
        "columns": ["start", "Invocations", "Errors", "Throttles", "DurationAvg", "DurationMax"],
        "periods": [
            [
                iso_z(datetime.fromtimestamp(start, UTC)),
                int(invocations.get(start, 0)),
                int(errors.get(start, 0)),
                int(throttles.get(start, 0)),
                round(average[start], 1) if start in average else None,
                maximum.get(start),
            ]
            for start in starts
        ],
    }
