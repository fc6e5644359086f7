"""Delivery end to end: what is deployed is what is delivered by, dead letters land in
SQS on the embedded backend, Scheduler's settings apply, duplicates stay harmless."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.aws.embedded import EmbeddedBackend
from harness.delivery import AsyncInvokeConfig, TriggerRetryPolicy
from harness.delivery.deployed import read_rule, read_schedule
from harness.delivery.payloads import substitute_input
from harness.delivery.queues import read_queue
from harness.deploy.provision import StackSpec, provision
from harness.deploy.stacks import DEFAULT_TEMPLATE
from harness.runner import RunOptions, run
from harness.schedules import Schedule

from .cli import harness

START = datetime(2026, 3, 1, tzinfo=UTC)


def options(tmp_path: Path, **changes: object) -> RunOptions:
    return replace(
        RunOptions(start=START, days=3, seed=4, report_dir=tmp_path, show_progress=False),
        **changes,  # type: ignore[arg-type]
    )


def test_the_harness_reads_back_what_was_deployed(backend: EmbeddedBackend) -> None:
    backend.reset()
    spec = StackSpec(
        retry=TriggerRetryPolicy(maximum_retry_attempts=7, maximum_event_age_seconds=900),
        async_config=AsyncInvokeConfig(maximum_retry_attempts=1, maximum_event_age_seconds=600),
        reserved_concurrency=3,
        timeout_seconds=120,
    )
    schedule = Schedule.parse("cron(0 2 * * ? *)", created=START)
    provision(backend, spec, schedule=schedule, api_url="http://127.0.0.1:9", api_token="t")

    deployed = read_rule(backend, spec.rule_name)

    config = deployed.config
    assert (config.retry.maximum_retry_attempts, config.retry.maximum_event_age_seconds) == (7, 900)
    assert config.async_config.maximum_retry_attempts == 1
    assert config.async_config.maximum_event_age_seconds == 600
    assert config.async_config.on_failure is not None
    assert config.async_config.on_failure.endswith(":scheduled-sync-failures")
    assert config.trigger_dead_letter is not None
    assert config.trigger_dead_letter.endswith(":scheduled-sync-trigger-dlq")
    assert config.reserved_concurrency == 3
    assert config.function_exists and config.permitted
    assert deployed.function is not None and deployed.function.timeout_seconds == 120


def test_a_removed_permission_or_function_is_seen(backend: EmbeddedBackend) -> None:
    backend.reset()
    spec = StackSpec()
    schedule = Schedule.parse("cron(0 2 * * ? *)", created=START)
    provision(backend, spec, schedule=schedule, api_url="http://127.0.0.1:9", api_token="t")
    lam = backend.client("lambda")

    [statement] = json.loads(lam.get_policy(FunctionName=spec.function_name)["Policy"])["Statement"]
    lam.remove_permission(FunctionName=spec.function_name, StatementId=statement["Sid"])
    assert not read_rule(backend, spec.rule_name).config.permitted

    lam.delete_function(FunctionName=spec.function_name)
    assert not read_rule(backend, spec.rule_name).config.function_exists


def test_a_rule_without_a_function_target_is_refused(backend: EmbeddedBackend) -> None:
    backend.reset()
    backend.client("events").put_rule(Name="lonely", ScheduleExpression="rate(1 day)")

    with pytest.raises(Exception, match="has no Lambda function target"):
        read_rule(backend, "lonely")


def test_scheduler_settings_are_read_back(backend: EmbeddedBackend) -> None:
    backend.reset()
    spec = StackSpec(
        flexible_window_minutes=15,
        scheduler_input=(
            '{"at": "<aws.scheduler.scheduled-time>", "n": "<aws.scheduler.attempt-number>"}'
        ),
        action_after_completion="DELETE",
    )
    schedule = Schedule.parse("cron(0 2 * * ? *)", timezone="Europe/Berlin", created=START)
    provision(backend, spec, schedule=schedule, api_url="http://127.0.0.1:9", api_token="t")

    deployed = read_schedule(backend, spec.rule_name)

    assert deployed.config.kind == "scheduler"
    assert deployed.config.flexible_window_minutes == 15
    assert deployed.action_after_completion == "DELETE"
    assert deployed.scheduler_input is not None
    payload = substitute_input(
        deployed.scheduler_input,
        schedule_arn=deployed.config.trigger_arn,
        scheduled=START,
        execution_id="e-1",
        attempt=2,
    )
    assert payload == {"at": "2026-03-01T00:00:00Z", "n": "2"}


def test_failed_runs_end_in_the_on_failure_destination_on_the_backend(tmp_path: Path) -> None:
    result = run(options(tmp_path, environment={"EXTERNAL_API_URL": "not-a-url"}))

    report = result.report
    assert report["totals"]["dlq"] == 3
    assert all(i["held"] for i in report["invariants"]), report["invariants"]
    fire = report["fires"][0]
    assert [a["layer"] for a in fire["attempts"]] == ["lambda"] * 3
    assert fire["dead_letter"]["queue"].endswith(":scheduled-sync-failures")


def test_every_duplicate_delivery_is_harmless(tmp_path: Path) -> None:
    result = run(options(tmp_path, days=5, duplicate_rate=1.0))

    report = result.report
    assert report["totals"]["duplicates"] == 5
    assert report["truth"]["ok"]
    assert len(result.tables["DailySync"]) == 5  # one sync item per occurrence, not two
    for fire in report["fires"]:
        duplicate = [a for a in fire["attempts"] if a["layer"] == "duplicate"]
        assert [a["status"] for a in duplicate] == ["succeeded"]
    # The sync items are the first deliveries'; the duplicates found them done.
    syncs = {item["scheduledTime"]: item for item in result.tables["DailySync"]}
    for fire in report["fires"]:
        first = next(a for a in fire["attempts"] if a["layer"] == "lambda")
        assert syncs[fire["scheduled_time"]]["requestId"] == first["request_id"]


def test_a_flexible_window_spreads_the_runs_and_delete_removes_a_finished_schedule(
    tmp_path: Path,
) -> None:
    result = run(
        options(
            tmp_path,
            schedule="at(2026-03-02T09:00:00)",
            timezone="Europe/Berlin",
            flexible_window=30,
            delete_after_completion=True,
        )
    )

    [fire] = result.report["fires"]
    started = datetime.fromisoformat(fire["attempts"][0]["at"].replace("Z", "+00:00"))
    scheduled = datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert scheduled <= started < scheduled + timedelta(minutes=30)
    assert result.report["delivery"]["schedule_deleted"] is True


def test_a_scheduler_input_reaches_the_function_with_its_attributes_substituted(
    tmp_path: Path,
) -> None:
    result = run(
        options(
            tmp_path,
            timezone="Europe/Berlin",
            scheduler_input=(
                '{"time": "<aws.scheduler.scheduled-time>",'
                ' "try": "<aws.scheduler.attempt-number>"}'
            ),
        )
    )

    assert result.report["totals"]["succeeded"] == 3
    assert result.report["truth"]["ok"]
    # The function keys its sync on the event's time: the substituted scheduled time.
    assert [s["scheduledTime"] for s in result.tables["DailySync"]] == [
        f["scheduled_time"] for f in result.report["fires"]
    ]


def test_an_end_date_bounds_the_run_and_delete_removes_the_schedule_after_it(
    tmp_path: Path,
) -> None:
    result = run(
        options(
            tmp_path,
            days=4,
            timezone="Europe/Berlin",
            end_date=datetime(2026, 3, 2, 12, tzinfo=UTC),
            delete_after_completion=True,
        )
    )

    # 02:00 Berlin is 01:00 UTC: the 1st and the 2nd fire, the 3rd is past the EndDate.
    assert [f["scheduled_time"] for f in result.report["fires"]] == [
        "2026-03-01T01:00:00Z",
        "2026-03-02T01:00:00Z",
    ]
    assert result.report["delivery"]["schedule_deleted"] is True


def test_a_disabled_rule_fires_nothing(tmp_path: Path) -> None:
    template = tmp_path / "disabled.yaml"
    ours = DEFAULT_TEMPLATE.read_text()
    template.write_text(ours.replace("      State: ENABLED\n", "      State: DISABLED\n", 1))

    result = run(options(tmp_path / "out", template=template))

    assert result.report["fires"] == []
    assert all(i["held"] for i in result.report["invariants"])


def test_trigger_hand_off_errors_from_a_fault_file_are_retried_then_dead_lettered(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "delivery.yaml"
    rules.write_text("delivery: {handoff_error_rate: 1.0}\nrules: []\n")

    result = run(options(tmp_path / "out", days=1, faults=str(rules), retry_attempts=2))

    [fire] = result.report["fires"]
    assert [a["layer"] for a in fire["attempts"]] == ["trigger"] * 3
    assert fire["outcome"] == "dlq"
    assert fire["dead_letter"]["queue"].endswith(":scheduled-sync-trigger-dlq")
    assert all(i["held"] for i in result.report["invariants"])


def test_the_subprocess_executor_gives_the_same_run_as_in_process(tmp_path: Path) -> None:
    inprocess = run(options(tmp_path / "a", faults="flaky"))
    subprocess = run(options(tmp_path / "b", faults="flaky", executor="subprocess"))

    assert subprocess.tables == inprocess.tables
    assert subprocess.report["totals"]["cold_starts"] == 1
    assert subprocess.report["truth"]["ok"]
    assert [a["cold"] for f in subprocess.report["fires"] for a in f["attempts"]] == [
        True,
        False,
        False,
    ]


OVERLAP = (
    "rules:\n"
    "  - match: {path: /records, every: 2}\n"
    "    fault: {status: 429, headers: {Retry-After: '150'}}\n"
)


def overlapping_run(tmp_path: Path, **changes: object) -> tuple[dict[str, Any], list[str]]:
    """A minute schedule where every other request is told to come back in 150 s: a run
    waits that long while the next minute's run starts. The report and attempt errors."""
    rules = tmp_path / "overlap.yaml"
    rules.write_text(OVERLAP)
    report = run(
        options(
            tmp_path / "out", schedule="rate(1 minute)", days=0.012, faults=str(rules), **changes
        )
    ).report
    errors = [a["error"] or "" for f in report["fires"] for a in f["attempts"]]
    return report, errors


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_runs_that_overlap_meet_each_others_lease(tmp_path: Path, executor: str) -> None:
    # The run that starts meanwhile finds the sync lease held and fails; Lambda retries it.
    report, errors = overlapping_run(tmp_path, executor=executor)

    assert any(e.startswith("SyncInProgress") for e in errors)
    assert report["totals"]["succeeded"] > 0
    assert all(i["held"] for i in report["invariants"]), report["invariants"]
    assert report["truth"]["ok"]
    if executor == "subprocess":  # an overlapping run gets an environment of its own
        assert report["totals"]["cold_starts"] >= 2


def test_with_reserved_concurrency_1_overlapping_runs_are_throttled_instead(
    tmp_path: Path,
) -> None:
    report, errors = overlapping_run(tmp_path, reserved_concurrency=1)

    assert not any(e.startswith("SyncInProgress") for e in errors)
    assert report["totals"]["throttles"] > 0
    assert all(i["held"] for i in report["invariants"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--retry-attempts", "186"], "less than or equal to 185"),
        (["--max-event-age", "59"], "greater than or equal to 60"),
        (["--async-retry-attempts", "3"], "less than or equal to 2"),
        (["--async-max-event-age", "21601"], "less than or equal to 21600"),
        (["--duplicate-rate", "1.5"], "--duplicate-rate"),
        (["--flexible-window", "10"], "Scheduler"),
        (["--tz", "Europe/Berlin", "--input", "{nope"], "--input"),
    ],
)
def test_bad_delivery_settings_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    answer = harness("run", "--days", "1", *args)

    assert answer.returncode == 2
    assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
    assert message in answer.stderr


def test_dead_letters_are_readable_from_sqs(backend: EmbeddedBackend) -> None:
    backend.reset()
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName="probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for n in range(13):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))

    assert sorted(int(m["Body"]) for m in read_queue(sqs, arn)) == list(range(13))
    assert len(read_queue(sqs, arn)) == 13  # reading leaves them there
