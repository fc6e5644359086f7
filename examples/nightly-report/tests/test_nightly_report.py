"""The nightly report through its first twelve mornings, with the rates API recorded."""

import json

import pytest


def test_each_morning_reports_yesterday_in_euros(run_schedule, recorded_rates):
    report = run_schedule(days=12, check="checks:one_right_report_a_day", **recorded_rates)

    assert report.outcomes == {"succeeded": 12}
    reports = report.objects("Reports")
    assert sorted(reports)[:2] == ["reports/2025-12-31.json", "reports/2026-01-01.json"]
    first = json.loads(reports["reports/2026-01-01.json"])
    assert first["orders"] == 4  # the orders placed on 1 January in data/dynamodb/Orders.jsonl


def test_a_rate_limited_morning_is_retried_and_its_report_still_written(
    run_schedule, api_faults, recorded_rates
):
    # The rates API says "slow down" for the first two tries of the 4 January run.
    api_faults.add(
        {"status": 429, "headers": {"Retry-After": "60"}},
        {"path": "/v1/latest", "window": {"from": "3d6h", "to": "3d6h2m"}},
    )

    report = run_schedule(days=12, check="checks:one_right_report_a_day", **recorded_rates)

    (morning,) = [f for f in report.fires if f.scheduled_time == "2026-01-04T06:00:00Z"]
    assert [a.status for a in morning.attempts] == ["function_error", "function_error", "succeeded"]
    assert "HTTP Error 429" in (morning.attempts[0].error or "")


def test_a_morning_the_rates_api_is_down_leaves_a_day_unreported(
    run_schedule, api_faults, recorded_rates
):
    import checks

    api_faults.add({"status": 503}, {"path": "/v1/latest", "window": {"from": "3d", "to": "4d"}})

    report = run_schedule(days=12, **recorded_rates)

    assert report.outcomes == {"succeeded": 11, "failed": 1}
    with pytest.raises(AssertionError, match="no report for 2026-01-03"):
        checks.one_right_report_a_day(report.path.parent)


def test_a_throttled_announcement_is_retried_by_the_sdk(run_schedule, aws_faults, recorded_rates):
    aws_faults.add({"error": "ThrottlingException"}, {"operation": "sns:Publish", "first": 2})

    report = run_schedule(days=3, **recorded_rates)

    assert report.outcomes == {"succeeded": 3}
    publishes = [e for e in report.aws_journal if e["path"] == "sns:Publish"]
    assert [e["status"] for e in publishes[:3]] == [400, 400, 200]
