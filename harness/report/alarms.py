"""CloudWatch alarms, as deployed, evaluated over the run's virtual timeline.

CloudWatch's documented rules ("Configuring how CloudWatch alarms treat missing data"):
each datapoint is the `Statistic` of the metric's samples in one `Period` (periods
aligned to the epoch), compared with `Threshold` by `ComparisonOperator`; at each
evaluation CloudWatch reads an *evaluation range* of datapoints, more than the alarm's
`EvaluationPeriods` (N):

- all of the last N present: those N decide;
- some missing, but N or more present in the range: the N most recent present ones
  decide, and `TreatMissingData` is not used;
- fewer than N present: the missing ones are filled by `TreatMissingData`
  (`breaching`: bad, `notBreaching`: good) as few times as needed; `missing` and
  `ignore` decide by the present ones alone;
- none present: `missing` goes to INSUFFICIENT_DATA, `ignore` keeps the state,
  `breaching` is ALARM, `notBreaching` OK.

Deciding: `DatapointsToAlarm` (M) bad datapoints is ALARM, else OK (with fewer than M
present under `missing`/`ignore`, all of them bad is ALARM). A new alarm starts in
INSUFFICIENT_DATA. Two choices are the harness's, as AWS does not publish them: the
evaluation range is N + 2 periods (AWS's worked example reads 5 for N = 3), and an alarm
is evaluated at each period's end (CloudWatch evaluates about once a minute; with the
datapoints per period, the outcome differs only in when within the period it shows).
A consequence AWS users meet too: after one bad datapoint, a 1-of-1 alarm stays in
ALARM until that datapoint leaves the range, however the missing data is treated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..clock import epoch, iso_z
from .fires import Fire
from .metrics import Samples, emf_samples, lambda_periods, lambda_samples, per_period
from .metrics import totals as metric_totals

States = ("OK", "ALARM", "INSUFFICIENT_DATA")
EXTRA_RANGE = 2  # the evaluation range reads this many periods more than N
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    namespace: str
    metric: str
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str = "missing"

    @classmethod
    def from_api(cls, alarm: Mapping[str, Any]) -> AlarmSpec:
        """A MetricAlarm as DescribeAlarms returns it."""
        periods = int(alarm["EvaluationPeriods"])
        return cls(
            name=alarm["AlarmName"],
            namespace=alarm["Namespace"],
            metric=alarm["MetricName"],
            statistic=alarm.get("Statistic") or "Average",
            period=int(alarm["Period"]),
            evaluation_periods=periods,
            datapoints_to_alarm=int(alarm.get("DatapointsToAlarm") or periods),
            threshold=float(alarm["Threshold"]),
            comparison=alarm["ComparisonOperator"],
            treat_missing_data=alarm.get("TreatMissingData") or "missing",
        )

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.metric}"


@dataclass(frozen=True)
class Transition:
    at: str  # the end of the period whose evaluation changed the state
    state: str
    reason: str


def evaluate(spec: AlarmSpec, samples: Samples, start: datetime, end: datetime) -> list[Transition]:
    """The alarm's state changes between `start` and `end`; the first is its creation."""
    compare = _COMPARE.get(spec.comparison)
    if compare is None:
        raise ValueError(f"comparison {spec.comparison!r} is not supported")
    values = per_period(samples.get(spec.key, []), spec.period, spec.statistic)
    period, n = spec.period, spec.evaluation_periods
    state = "INSUFFICIENT_DATA"
    transitions = [Transition(_iso(start.timestamp()), state, "created")]
    first = int(start.timestamp() // period * period) + period
    last = int(end.timestamp())
    reach = n + EXTRA_RANGE
    # Only where a datapoint is in the range, and the first evaluation after it leaves:
    # elsewhere the range is empty, and so is its outcome the same as that one's.
    due = {first} | {
        p + k * period for p in values for k in range(1, reach + 2) if first <= p + k * period
    }
    for boundary in sorted(b for b in due if b <= last):
        # The evaluation range, most recent first.
        window = [values.get(boundary - (i + 1) * period) for i in range(reach)]
        new, bad, used = _decide(spec, compare, window, state)
        if new != state:
            transitions.append(Transition(_iso(boundary), new, _reason(spec, new, used, bad)))
            state = new
    return transitions


def state_after(spec: AlarmSpec, datapoints: list[float | None], state: str = "OK") -> str:
    """The state one evaluation gives, from the evaluation range's datapoints (oldest
    first; None: missing), as AWS's documentation tabulates it."""
    compare = _COMPARE[spec.comparison]
    return _decide(spec, compare, list(reversed(datapoints)), state)[0]


def _decide(
    spec: AlarmSpec,
    compare: Callable[[float, float], bool],
    window: list[float | None],
    state: str,
) -> tuple[str, int, list[float | None]]:
    """(state, bad datapoints, the datapoints used) for one evaluation range."""
    n, m, treat = spec.evaluation_periods, spec.datapoints_to_alarm, spec.treat_missing_data
    present = [v for v in window if v is not None]
    if all(v is not None for v in window[:n]):
        used: list[float | None] = list(window[:n])
    elif len(present) >= n:
        used = list(present[:n])  # the most recent real datapoints; no filling
    elif not present:
        fallback = {"missing": "INSUFFICIENT_DATA", "ignore": state, "breaching": "ALARM"}
        return fallback.get(treat, "OK"), n if treat == "breaching" else 0, []
    else:
        used = [*present, *([None] * (n - len(present)))]
    bad = sum(1 for v in used if v is not None and compare(v, spec.threshold))
    filled = sum(1 for v in used if v is None)
    if treat == "breaching":
        bad += filled
    if filled and treat in ("missing", "ignore"):
        real = n - filled
        return ("ALARM" if bad >= min(m, real) else "OK"), bad, used
    return ("ALARM" if bad >= m else "OK"), bad, used


def _reason(spec: AlarmSpec, state: str, used: list[float | None], bad: int) -> str:
    if not used:
        return f"no datapoints in the last {spec.evaluation_periods + EXTRA_RANGE} periods"
    shown = ", ".join("missing" if v is None else f"{v:g}" for v in used)
    return (
        f"{bad} of {len(used)} datapoint(s) breaching"
        f" {spec.statistic} {_SYMBOL[spec.comparison]} {spec.threshold:g} ({shown})"
    )


_SYMBOL = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _iso(seconds: float) -> str:
    return iso_z(datetime.fromtimestamp(seconds, UTC))


def alarm_report(spec: AlarmSpec, transitions: list[Transition], end: datetime) -> dict[str, Any]:
    """What report.json says of an alarm: its settings, state changes and time in ALARM."""
    in_alarm = 0.0
    for current, following in zip(transitions, [*transitions[1:], None], strict=True):
        if current.state == "ALARM":
            until = following.at if following else _iso(end.timestamp())
            in_alarm += epoch(until) - epoch(current.at)
    return {
        **asdict(spec),
        "transitions": [asdict(t) for t in transitions],
        "final_state": transitions[-1].state,
        "times_in_alarm": sum(1 for t in transitions if t.state == "ALARM"),
        "seconds_in_alarm": in_alarm,
    }


def read_alarms(backend: Any, function_name: str) -> tuple[list[AlarmSpec], list[str]]:
    """The deployed metric alarms on this function (by its FunctionName dimension), and a
    warning for each alarm the harness cannot evaluate."""
    specs, warnings = [], []
    for alarm in backend.client("cloudwatch").describe_alarms()["MetricAlarms"]:
        name = alarm["AlarmName"]
        dimensions = alarm.get("Dimensions", [])
        if {"Name": "FunctionName", "Value": function_name} not in dimensions:
            warnings.append(f"alarm {name!r} is not on the function: not evaluated")
        elif len(dimensions) > 1 or "MetricName" not in alarm or not alarm.get("Statistic"):
            warnings.append(
                f"alarm {name!r} uses metric math, a percentile or more dimensions than"
                " FunctionName: not evaluated"
            )
        else:
            specs.append(AlarmSpec.from_api(alarm))
    return specs, warnings


def monitoring(
    fires: list[Fire], logs: Path, specs: list[AlarmSpec], start: datetime, end: datetime
) -> dict[str, Any]:
    """The run's metrics (Lambda's, and the function's EMF) and its alarms' story."""
    with logs.open(encoding="utf-8") as lines:
        samples = {**lambda_samples(asdict(f) for f in fires), **emf_samples(lines)}
    for spec in specs:
        if spec.key not in samples:  # evaluated all the same: its every period is missing
            samples[spec.key] = []
    return {
        "metrics": metric_totals(samples),
        "lambda_metrics": lambda_periods(samples),
        "alarms": [alarm_report(s, evaluate(s, samples, start, end), end) for s in specs],
    }
