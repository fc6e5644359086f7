"""CloudWatch alarm evaluation on the virtual timeline: periods, M of N, statistics and
the four ways of treating missing data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from harness.report.alarms import AlarmSpec, evaluate, state_after
from harness.report.metrics import Samples, emf_samples, lambda_samples, per_period

START = datetime(2026, 1, 1, tzinfo=UTC)


def spec(**changes: object) -> AlarmSpec:
    base = {
        "name": "errors",
        "namespace": "AWS/Lambda",
        "metric": "Errors",
        "statistic": "Sum",
        "period": 300,
        "evaluation_periods": 1,
        "datapoints_to_alarm": 1,
        "threshold": 1.0,
        "comparison": "GreaterThanOrEqualToThreshold",
        "treat_missing_data": "notBreaching",
    }
    return AlarmSpec(**{**base, **changes})  # type: ignore[arg-type]


def at(minutes: float) -> float:
    return (START + timedelta(minutes=minutes)).timestamp()


def states(alarm: AlarmSpec, samples: Samples, minutes: int = 60) -> list[tuple[str, str]]:
    end = START + timedelta(minutes=minutes)
    return [(t.at[11:16], t.state) for t in evaluate(alarm, samples, START, end)]


def test_one_error_alarms_at_its_periods_end_until_it_leaves_the_evaluation_range() -> None:
    samples = {"AWS/Lambda/Errors": [(at(2), 0.0), (at(7), 1.0)]}

    assert states(spec(), samples) == [
        ("00:00", "INSUFFICIENT_DATA"),
        ("00:05", "OK"),
        ("00:10", "ALARM"),  # the 00:05-00:10 period held the error
        # Later periods are empty, and the error is still the most recent datapoint
        # in the range (N + 2 = 3 periods): missing data is not used while it is.
        ("00:25", "OK"),
    ]


def test_two_of_two_periods_must_breach() -> None:
    duration = spec(
        metric="Duration",
        statistic="Average",
        evaluation_periods=2,
        datapoints_to_alarm=2,
        threshold=300_000,
        treat_missing_data="notBreaching",
    )
    one = {"AWS/Lambda/Duration": [(at(1), 300_000.0)]}
    two = {"AWS/Lambda/Duration": [(at(1), 300_000.0), (at(6), 300_000.0), (at(7), 100.0)]}
    both = {"AWS/Lambda/Duration": [(at(1), 300_000.0), (at(6), 300_000.0)]}

    assert "ALARM" not in dict(states(duration, one)).values()
    assert "ALARM" not in dict(states(duration, two)).values()  # the average fell below
    assert ("00:10", "ALARM") in states(duration, both)


def test_missing_data_goes_to_insufficient_data_by_default() -> None:
    samples = {"AWS/Lambda/Errors": [(at(1), 1.0)]}

    assert states(spec(treat_missing_data="missing"), samples, 25) == [
        ("00:00", "INSUFFICIENT_DATA"),
        ("00:05", "ALARM"),
        ("00:20", "INSUFFICIENT_DATA"),  # nothing left in the evaluation range
    ]


def test_ignore_keeps_the_state_through_missing_data() -> None:
    samples = {"AWS/Lambda/Errors": [(at(1), 1.0), (at(21), 0.0)]}

    assert states(spec(treat_missing_data="ignore"), samples, 30) == [
        ("00:00", "INSUFFICIENT_DATA"),
        ("00:05", "ALARM"),
        ("00:25", "OK"),
    ]


def test_breaching_treats_missing_data_as_bad_once_no_real_datapoint_is_left() -> None:
    samples = {"AWS/Lambda/Errors": [(at(1), 0.0)]}

    assert states(spec(treat_missing_data="breaching"), samples, 25) == [
        ("00:00", "INSUFFICIENT_DATA"),
        ("00:05", "OK"),
        ("00:20", "ALARM"),
    ]


THREE_OF_THREE = spec(evaluation_periods=3, datapoints_to_alarm=3)
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def row(text: str) -> list[float | None]:
    """AWS's notation, oldest first: 0 good, X bad, - missing."""
    return [{"0": 0.0, "X": 5.0, "-": None}[c] for c in text.split()]


@pytest.mark.parametrize(
    ("datapoints", "expected"),
    [
        # Rows of AWS's table for a 3-of-3 alarm (an evaluation range of five).
        ("0 0 0 0 0", dict.fromkeys(TREATMENTS, "OK")),
        ("0 X X - X", dict.fromkeys(TREATMENTS, "ALARM")),  # 3 real ones: no filling
        ("0 - X - X", dict.fromkeys(TREATMENTS, "OK")),  # the 3 real ones: 2 bad
        ("0 - - - -", {"missing": "OK", "ignore": "OK", "breaching": "OK", "notBreaching": "OK"}),
        ("X - - - -", {"missing": "ALARM", "ignore": "ALARM", "breaching": "ALARM",
                       "notBreaching": "OK"}),
        ("- - - - -", {"missing": "INSUFFICIENT_DATA", "ignore": "OK", "breaching": "ALARM",
                       "notBreaching": "OK"}),
    ],
)  # fmt: skip
def test_an_evaluation_range_as_aws_tabulates_it(datapoints: str, expected: dict[str, str]) -> None:
    got = {
        treat: state_after(replace(THREE_OF_THREE, treat_missing_data=treat), row(datapoints))
        for treat in TREATMENTS
    }

    assert got == expected


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("Sum", 6.0), ("Average", 2.0), ("Maximum", 3.0), ("Minimum", 1.0), ("SampleCount", 3.0)],
)
def test_statistics_aggregate_a_period(statistic: str, expected: float) -> None:
    samples = [(at(0), 1.0), (at(1), 2.0), (at(4.9), 3.0), (at(5), 100.0)]

    assert per_period(samples, 300, statistic)[int(at(0))] == expected


def test_lambda_metrics_come_from_the_runs_not_the_hand_offs() -> None:
    fires = [
        {
            "attempts": [
                {"at": "2026-01-01T00:00:00Z", "layer": "trigger", "status": "ServiceException",
                 "duration_ms": 0},
                {"at": "2026-01-01T00:01:00Z", "layer": "lambda", "status": "timeout",
                 "duration_ms": 300000},
                {"at": "2026-01-01T00:02:00Z", "layer": "lambda", "status": "throttled",
                 "duration_ms": 0},
                {"at": "2026-01-01T00:03:00Z", "layer": "lambda", "status": "succeeded",
                 "duration_ms": 1200},
            ]
        }
    ]  # fmt: skip

    samples = lambda_samples(fires)

    assert [v for _, v in samples["AWS/Lambda/Invocations"]] == [1.0, 1.0]
    assert [v for _, v in samples["AWS/Lambda/Errors"]] == [1.0, 0.0]
    assert [v for _, v in samples["AWS/Lambda/Duration"]] == [300000.0, 1200.0]
    assert [v for _, v in samples["AWS/Lambda/Throttles"]] == [1.0]


def test_emf_lines_become_samples_and_other_lines_are_skipped() -> None:
    lines = [
        '{"event": "SYNC_STARTED"}',
        '{"_aws": {"Timestamp": 1767225600000, "CloudWatchMetrics": [{"Namespace": "S",'
        ' "Dimensions": [["FunctionName"]], "Metrics": [{"Name": "RecordsProcessed"}]}]},'
        ' "RecordsProcessed": 42}',
        '{"_aws": "not EMF"}',
    ]

    assert emf_samples(lines) == {"S/RecordsProcessed": [(1767225600.0, 42.0)]}
