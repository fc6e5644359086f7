"""CloudWatch alarms, as deployed, evaluated over the run's virtual timeline.

At the end of every period, CloudWatch looks at the alarm's last `EvaluationPeriods`
datapoints: each the `Statistic` of the metric's samples in one `Period`, compared with
`Threshold` by `ComparisonOperator`. `DatapointsToAlarm` (M) of those N breaching puts it
in ALARM. A period with no samples is missing, and `TreatMissingData` says what that
means:

- `notBreaching`: a good datapoint; `breaching`: a bad one;
- `ignore`: missing datapoints do not count; with none present the state stays;
- `missing` (the default): with none present the alarm goes to INSUFFICIENT_DATA;
  otherwise the present datapoints decide.

With the present datapoints: ALARM when at least M breach; OK when fewer than M could
breach even if every missing one did (so a window that is short of data but not yet
decisive keeps its state, as CloudWatch's wider evaluation range usually does). An alarm
starts in INSUFFICIENT_DATA, as a new alarm does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from .metrics import Samples, per_period

States = ("OK", "ALARM", "INSUFFICIENT_DATA")
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
    period, n, m = spec.period, spec.evaluation_periods, spec.datapoints_to_alarm
    state = "INSUFFICIENT_DATA"
    transitions = [Transition(_iso(start.timestamp()), state, "created")]
    first = int(start.timestamp() // period * period) + period
    for boundary in range(first, int(end.timestamp()) + 1, period):
        window = [values.get(boundary - (i + 1) * period) for i in range(n)]
        present = [v for v in window if v is not None]
        missing = n - len(present)
        bad = sum(1 for v in present if compare(v, spec.threshold))
        treat = spec.treat_missing_data
        if treat == "breaching":
            bad += missing
        if treat in ("breaching", "notBreaching") or missing == 0:
            new = "ALARM" if bad >= m else "OK"
        elif not present:
            new = state if treat == "ignore" else "INSUFFICIENT_DATA"
        elif bad >= m:
            new = "ALARM"
        elif bad + missing < m:
            new = "OK"
        else:
            new = state
        if new != state:
            latest = next((v for v in window if v is not None), None)
            transitions.append(Transition(_iso(boundary), new, _reason(spec, new, latest, bad)))
            state = new
    return transitions


def _reason(spec: AlarmSpec, state: str, latest: float | None, bad: int) -> str:
    if state == "INSUFFICIENT_DATA":
        return f"no datapoints in the last {spec.evaluation_periods} period(s)"
    shown = "missing" if latest is None else f"{latest:g}"
    return (
        f"{bad} of {spec.evaluation_periods} datapoint(s) breaching"
        f" {spec.statistic} {_SYMBOL[spec.comparison]} {spec.threshold:g} (latest: {shown})"
    )


_SYMBOL = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alarm_report(spec: AlarmSpec, transitions: list[Transition], end: datetime) -> dict[str, Any]:
    """What report.json says of an alarm: its settings, state changes and time in ALARM."""
    in_alarm = 0.0
    for current, following in zip(transitions, [*transitions[1:], None], strict=True):
        if current.state == "ALARM":
            until = following.at if following else _iso(end.timestamp())
            in_alarm += _seconds(until) - _seconds(current.at)
    return {
        **asdict(spec),
        "transitions": [asdict(t) for t in transitions],
        "final_state": transitions[-1].state,
        "times_in_alarm": sum(1 for t in transitions if t.state == "ALARM"),
        "seconds_in_alarm": in_alarm,
    }


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
