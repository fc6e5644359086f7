"""One scenario per failure a scheduled sync meets, written with the pytest plugin's
fixtures as a user would write them. Each ends with the same proof: the table holds
what the API had (nothing lost, nothing invented), no occurrence is recorded twice, every
occurrence is accounted for within the deployed policies, and the API token never
reached the logs; then the scenario's own marks (statuses, attempts, dead letters).

A rule that never applied fails its test (run_schedule's default): no scenario can
pass by injecting nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.report import Fire
from harness.testing import ScheduledFunction, ScheduleReport

START = datetime(2026, 1, 1, tzinfo=UTC)
FAILURE_QUEUE = "scheduled-sync-failures"
LAMBDA_RETRY_GAPS = [timedelta(seconds=60), timedelta(seconds=120)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_end_state(report: ScheduleReport) -> None:
    report.assert_nothing_lost()
    report.assert_no_duplicates()
    report.assert_invariants()
    report.assert_logs_free_of()


def lambda_runs(fire: Fire) -> list[Any]:
    return [a for a in fire.attempts if a.layer == "lambda"]


def assert_retried_by_policy(fire: Fire) -> None:
    """Three runs (the first and Lambda's two retries), one and two minutes after the
    failed run ended, then the on-failure destination."""
    runs = lambda_runs(fire)
    assert len(runs) == 3, [a.status for a in runs]
    for previous, following, gap in zip(runs, runs[1:], LAMBDA_RETRY_GAPS, strict=False):
        ended = at(previous.at) + timedelta(milliseconds=previous.duration_ms)
        assert at(following.at) - ended == pytest.approx(gap, abs=timedelta(seconds=1))
    assert fire.outcome == "dlq"
    assert fire.dead_letter is not None and fire.dead_letter["condition"] == "RetriesExhausted"


def dead_letter_for(report: ScheduleReport, fire: Fire) -> dict[str, Any]:
    letters = [
        d.body
        for d in report.dead_letters
        if isinstance(d.body, dict)
        and d.body.get("requestPayload", {}).get("time") == fire.scheduled_time
    ]
    assert len(letters) == 1, f"{len(letters)} dead letters for {fire.scheduled_time}"
    assert FAILURE_QUEUE in next(
        d.queue for d in report.dead_letters if d.body is letters[0] or d.body == letters[0]
    )
    return letters[0]


def api_requests(report: ScheduleReport) -> list[dict[str, Any]]:
    return [e for e in report.journal if e["path"] == "/records"]


def all_succeeded_first_time(report: ScheduleReport) -> None:
    assert report.outcomes == {"succeeded": len(report.fires)}
    assert all(len(lambda_runs(f)) == 1 for f in report.fires)


# -- the external API ---------------------------------------------------------------
def test_a_burst_of_5xx_is_retried_within_the_run(run_schedule: Any, api_faults: Any) -> None:
    api_faults.add({"status": 503}, {"path": "/records", "first": 4}, name="5xx burst")
    report = run_schedule(days=5)
    assert_end_state(report)
    all_succeeded_first_time(report)
    statuses = [e["status"] for e in api_requests(report)]
    assert statuses[:5] == [503, 503, 503, 503, 200]
    assert sum(1 for line in report.logs() if line.get("event") == "API_RETRY") == 4


def test_429_is_retried_no_sooner_than_retry_after(run_schedule: Any, api_faults: Any) -> None:
    api_faults.add(
        {"status": 429, "headers": {"Retry-After": "45"}}, {"path": "/records", "nth": [1, 2]}
    )
    report = run_schedule(days=4)
    assert_end_state(report)
    all_succeeded_first_time(report)
    first, second, third = api_requests(report)[:3]
    assert [first["status"], second["status"], third["status"]] == [429, 429, 200]
    for earlier, later in ((first, second), (second, third)):
        waited = at(later["logical_time"]) - at(earlier["logical_time"])
        assert waited >= timedelta(seconds=45)


def test_a_hang_costs_the_client_timeout_then_the_retry_succeeds(
    run_schedule: Any, api_faults: Any
) -> None:
    api_faults.add({"kind": "hang"}, {"path": "/records", "nth": [1]})
    report = run_schedule(days=4)
    assert_end_state(report)
    all_succeeded_first_time(report)
    hung, retried = api_requests(report)[:2]
    assert hung["status"] is None and retried["status"] == 200
    # HTTP_TIMEOUT_SECONDS (10) in virtual time, then the client's backoff
    assert at(retried["logical_time"]) - at(hung["logical_time"]) >= timedelta(seconds=10)
    assert report.fires[0].attempts[0].duration_ms >= 10_000


def test_connection_resets_are_retried(run_schedule: Any, api_faults: Any) -> None:
    api_faults.add({"kind": "reset"}, {"path": "/records", "nth": [1, 2, 5]})
    report = run_schedule(days=5)
    assert_end_state(report)
    all_succeeded_first_time(report)
    assert [e["status"] for e in api_requests(report)][:3] == [None, None, 200]


def test_empty_malformed_and_truncated_bodies_are_retried(
    run_schedule: Any, api_faults: Any
) -> None:
    api_faults.add({"kind": "empty"}, {"path": "/records", "nth": [1]}, name="empty")
    api_faults.add({"status": 200, "body": "{not json"}, {"path": "/records", "nth": [2]})
    api_faults.add({"kind": "malformed_json"}, {"path": "/records", "nth": [3]})
    api_faults.add({"kind": "truncated"}, {"path": "/records", "nth": [4]})
    report = run_schedule(days=4)
    assert_end_state(report)
    all_succeeded_first_time(report)
    faults = [e["fault"] for e in api_requests(report)][:5]
    assert faults == ["empty", "200", "malformed_json", "truncated", None]


def test_invalid_records_make_the_run_partial_and_the_next_one_completes(
    run_schedule: Any, api_faults: Any
) -> None:
    api_faults.add({"kind": "invalid_records", "records": 3}, {"path": "/records", "nth": [2]})
    report = run_schedule(days=5)
    assert_end_state(report)
    assert [f.sync_status for f in report.fires] == ["success", "partial"] + ["success"] * 3
    partial = report.fires[1]
    assert partial.outcome == "succeeded"  # a partial sync is not a failed invocation
    assert any(line.get("event") == "INVALID_RECORD" for line in report.logs())
    # the cursor stayed put: the next run fetched the partial run's window again
    assert report.fires[2].records_processed > report.fires[3].records_processed


def test_duplicate_records_and_page_drift_lose_and_duplicate_nothing(
    run_schedule: Any, api_faults: Any
) -> None:
    api_faults.add({"kind": "duplicate_records", "records": 5}, {"path": "/records", "every": 3})
    api_faults.add({"kind": "page_drift", "records": 4}, {"path": "/records", "every": 4})
    report = run_schedule(days=8, environment={"API_PAGE_SIZE": "25"})
    assert_end_state(report)
    assert report.outcomes == {"succeeded": 8}
    ids = [item["id"] for item in report.table("SyncRecords")]
    assert len(ids) == len(set(ids))


def test_a_three_day_outage_dead_letters_its_days_and_the_next_run_catches_up(
    run_schedule: Any, api_faults: Any
) -> None:
    api_faults.add({"status": 503}, {"path": "/records", "window": {"from": "10d", "to": "13d"}})
    report = run_schedule(days=16)
    assert_end_state(report)
    down = [f for f in report.fires if f.outcome != "succeeded"]
    assert [f.scheduled_time[:10] for f in down] == ["2026-01-11", "2026-01-12", "2026-01-13"]
    for fire in down:
        assert_retried_by_policy(fire)
        letter = dead_letter_for(report, fire)
        assert letter["requestContext"]["approximateInvokeCount"] == 3
        assert letter["requestContext"]["condition"] == "RetriesExhausted"
        assert letter["requestPayload"]["detail-type"] == "Scheduled Event"
    catch_up, usual = report.fires[13], report.fires[14]
    assert catch_up.outcome == "succeeded"
    assert catch_up.records_processed > 3 * usual.records_processed


# -- AWS ---------------------------------------------------------------------------
def test_throttled_batch_writes_are_retried_by_the_function(
    run_schedule: Any, aws_faults: Any
) -> None:
    aws_faults.add(
        {"error": "ProvisionedThroughputExceededException"},
        {"operation": "dynamodb:BatchWriteItem", "probability": 0.4},
    )
    report = run_schedule(days=6)
    assert_end_state(report)
    all_succeeded_first_time(report)
    throttled = [e for e in report.aws_journal if e["fault"]]
    assert throttled and all(e["status"] == 400 for e in throttled)
    retries = [line for line in report.logs() if line.get("event") == "DYNAMODB_RETRY"]
    assert len(retries) == len(throttled)


def test_throttling_past_the_functions_retries_fails_the_day_and_a_later_run_catches_up(
    run_schedule: Any, aws_faults: Any
) -> None:
    aws_faults.add(
        {"error": "ThrottlingException"},
        {"operation": "dynamodb:BatchWriteItem", "window": {"from": "3d", "to": "4d"}},
    )
    report = run_schedule(days=6)
    assert_end_state(report)
    failed = report.fires[3]
    assert_retried_by_policy(failed)
    assert all("kept failing (ThrottlingException)" in (a.error or "") for a in lambda_runs(failed))
    assert [f.outcome for f in report.fires[4:]] == ["succeeded", "succeeded"]


def test_unprocessed_items_are_written_in_later_rounds(run_schedule: Any, aws_faults: Any) -> None:
    aws_faults.add(
        {"unprocessed": 10}, {"operation": "dynamodb:BatchWriteItem", "probability": 0.5}
    )
    report = run_schedule(days=6)
    assert_end_state(report)
    all_succeeded_first_time(report)
    rounds = [line for line in report.logs() if line.get("event") == "UNPROCESSED_ITEMS_RETRY"]
    assert len(rounds) == sum(1 for e in report.aws_journal if e["fault"])


# -- the function --------------------------------------------------------------------
def test_a_run_past_the_function_timeout_is_retried_then_dead_lettered(
    run_schedule: Any, aws_faults: Any
) -> None:
    aws_faults.add(
        {"delay_ms": 25_000},
        {"operation": "dynamodb:BatchWriteItem", "window": {"from": "2d", "to": "3d"}},
    )
    report = run_schedule(days=5, function_timeout=60)
    assert_end_state(report)
    slow = report.fires[2]
    assert [a.status for a in lambda_runs(slow)] == ["timeout"] * 3
    assert all(a.duration_ms == 60_000 for a in lambda_runs(slow))
    assert_retried_by_policy(slow)
    answer = dead_letter_for(report, slow)["responsePayload"]
    assert answer["errorType"] == "Sandbox.Timedout"
    assert answer["errorMessage"].endswith("Error: Task timed out after 60.00 seconds")
    assert [f.outcome for f in report.fires[3:]] == ["succeeded", "succeeded"]


def test_a_crash_mid_write_leaves_the_lease_and_a_later_run_repairs_everything(
    run_schedule: Any,
) -> None:
    crashing = ScheduledFunction(handler="tests.scenario_handlers.crashes_mid_write_on_day_4")
    report = run_schedule(days=6, executor="subprocess", function=crashing)
    assert_end_state(report)
    crashed = report.fires[3]
    first, *retries = lambda_runs(crashed)
    assert first.status == "function_error" and "Runtime.ExitError" in (first.error or "")
    # The dead process still holds the lease until its deadline, so Lambda's retries
    # meet it (or crash the same way): the occurrence ends dead-lettered.
    assert all(
        "SyncInProgress" in (a.error or "") or "ExitError" in (a.error or "") for a in retries
    )
    assert retries[0].cold  # a fresh worker replaced the dead one
    assert_retried_by_policy(crashed)
    assert [f.outcome for f in report.fires[4:]] == ["succeeded", "succeeded"]


def test_every_event_delivered_twice_is_synced_once(run_schedule: Any) -> None:
    report = run_schedule(days=6, duplicate_rate=1.0)
    assert_end_state(report)
    assert all(f.duplicates == 1 for f in report.fires)
    assert report.outcomes == {"succeeded": 6}
    seconds = [a for a in report.attempts if a.layer == "duplicate"]
    assert len(seconds) == 6 and all(a.status == "succeeded" for a in seconds)
    # each second delivery found its occurrence already synced and wrote nothing
    skipped = [line for line in report.logs() if line.get("event") == "SYNC_ALREADY_COMPLETED"]
    assert sorted(line["requestId"] for line in skipped) == sorted(a.request_id for a in seconds)


def test_overlapping_runs_meet_the_lease_and_nothing_is_written_twice(
    run_schedule: Any, api_faults: Any
) -> None:
    # One run is told to come back in 10 minutes; the schedule fires every 5.
    api_faults.add(
        {"status": 429, "headers": {"Retry-After": "600"}}, {"path": "/records", "nth": [3]}
    )
    report = run_schedule("rate(5 minutes)", days=0.1, function_timeout=900)
    assert_end_state(report)
    slow = [a for a in report.attempts if a.duration_ms >= 10 * 60_000]
    assert len(slow) == 1 and slow[0].status == "succeeded"
    refused = [a for a in report.attempts if "SyncInProgress" in (a.error or "")]
    assert refused, "no run met another's lease"
    assert all(at(a.at) < at(slow[0].at) + timedelta(minutes=10) for a in refused[:2])
    assert all(f.outcome in ("succeeded", "dlq") for f in report.fires)


def test_retention_archives_by_creation_at_the_virtual_time_of_archiving(
    run_schedule: Any,
) -> None:
    watched = ScheduledFunction(handler="tests.scenario_handlers.logs_archived_ids")
    report = run_schedule(days=40, changes_per_day=50, function=watched)
    assert_end_state(report)
    items = {item["id"]: item for item in report.table("SyncRecords")}
    end = at(report.fires[-1].scheduled_time)
    cutoff = iso(end - timedelta(days=30))
    assert all(i["createdAt"] >= cutoff for i in items.values() if i["isActive"])
    archived = {line["id"]: line["at"] for line in report.logs() if line.get("event") == "ARCHIVED"}
    assert archived, "nothing archived in 40 days with KEEP_RECORDS_DAYS=30"
    for record_id, archived_at in archived.items():
        item = items[record_id]
        assert not item["isActive"] and item["createdAt"] < archived_at
        # archivedAt is when the sweep ran, in virtual time: at or after its occurrence
        assert item["archivedAt"] >= archived_at[:13]
