"""The pytest plugin as users meet it: a test project of their own, run by pytest with
the plugin loaded from its entry point (pytester, in a subprocess)."""

from __future__ import annotations

import pytest

OUR_FUNCTION = """
def test_the_sync_survives_an_outage_and_throttled_writes(run_schedule, api_faults, aws_faults):
    api_faults.add({"status": 503}, {"path": "/records", "window": {"from": "3d", "to": "5d"}})
    aws_faults.add(
        {"error": "ProvisionedThroughputExceededException"},
        {"operation": "dynamodb:BatchWriteItem", "probability": 0.3},
    )
    report = run_schedule("cron(0 2 * * ? *)", days=8)
    report.assert_nothing_lost()
    report.assert_no_duplicates()
    report.assert_invariants()
    report.assert_logs_free_of()
    assert report.outcomes == {"succeeded": 6, "dlq": 2}
    assert [f.scheduled_time for f in report.fires if f.outcome == "dlq"] == [
        "2026-01-04T02:00:00Z", "2026-01-05T02:00:00Z"
    ]
    assert any(e["fault"] for e in report.aws_journal)
    assert len(report.dead_letters) == 2
    assert report.table("SyncRecords")


def test_the_clock_is_where_the_run_left_it(run_schedule, virtual_clock):
    run_schedule("rate(1 day)", days=3)
    assert virtual_clock.now().isoformat().startswith("2026-01-03")
"""

USER_HANDLER = '''
import os

import boto3


def handler(event, context):
    """Records each run under its request id: not idempotent, on purpose."""
    boto3.client("dynamodb").put_item(
        TableName=os.environ["SYNC_TABLE"],
        Item={"syncId": {"S": context.aws_request_id}, "scheduledTime": {"S": event["time"]}},
    )
    return {"ok": True}
'''

USER_CONFTEST = """
import pytest

from harness.testing import ScheduledFunction


@pytest.fixture
def scheduled_function(pytestconfig):
    return ScheduledFunction(
        handler="myjob.handler.handler", code_dir=pytestconfig.rootpath / "src"
    )
"""

USER_TESTS = """
def test_each_occurrence_is_recorded(run_schedule):
    report = run_schedule("rate(12 hours)", days=2)  # the first an interval after creation
    assert report.outcomes == {"succeeded": 3}
    assert len(report.table("DailySync")) == 3
    report.assert_no_duplicates()


def test_duplicate_deliveries_are_caught(run_schedule):
    report = run_schedule("rate(12 hours)", days=2, duplicate_rate=1.0)
    report.assert_no_duplicates()
"""


def test_a_users_test_of_our_function_passes_with_the_faults_applied(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_ours=OUR_FUNCTION)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_rule_that_never_applies_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_nothing="""
def test_injects_nothing(run_schedule, aws_faults):
    aws_faults.add({"error": "ThrottlingException"}, {"operation": "sqs:SendMessage"})
    run_schedule(days=2)


def test_unless_told_that_is_the_point(run_schedule, aws_faults):
    aws_faults.add({"error": "ThrottlingException"}, {"operation": "sqs:SendMessage"})
    run_schedule(days=2, require_faults=False)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*fault rules never applied*", "*AWS fault rule 'rule 0' (ThrottlingException)*"]
    )


def test_a_bad_rule_fails_where_it_is_written_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_typo="""
def test_typo(api_faults):
    api_faults.add({"status": 503}, {"probability": 1.5})
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*api_faults.add: rules[[]0[]].match.probability*"])


def test_a_users_own_handler_runs_and_its_duplicates_are_caught(
    pytester: pytest.Pytester,
) -> None:
    package = pytester.mkdir("src") / "myjob"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(USER_HANDLER)
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_myjob=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*3 duplicated scheduledTime values in DailySync*"])


def test_the_handler_can_be_named_in_the_ini_file(pytester: pytest.Pytester) -> None:
    package = pytester.mkdir("lambdas") / "myjob"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(USER_HANDLER)
    pytester.makeini(
        "[pytest]\nscheduled_handler = myjob.handler.handler\nscheduled_code_dir = lambdas\n"
    )
    pytester.makepyfile(
        test_ini="""
def test_runs_the_named_handler(run_schedule):
    report = run_schedule("rate(1 day)", days=3)
    assert report.report["function"]["handler"] == "myjob.handler.handler"
    assert len(report.table("DailySync")) == 2
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
