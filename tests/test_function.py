"""The sync function's behaviour against the embedded AWS and the mock API."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request

from .conftest import START, TOKEN, MakeStack, Stack

DAY = timedelta(days=1)
RUN = START + timedelta(hours=2)


def test_a_run_stores_every_record_changed_up_to_the_scheduled_time(stack: Stack) -> None:
    result = stack.invoke(RUN + DAY)

    assert result.status == "succeeded", result.error
    expected = stack.dataset.state_at(RUN + DAY)
    stored = stack.records()
    assert set(stored) == set(expected)
    for record_id, record in expected.items():
        assert {k: stored[record_id][k] for k in record} == record
        assert stored[record_id]["isActive"] is True
    body = result.response["body"]
    assert body["recordsProcessed"] == len(expected)
    assert body["syncId"] == "daily-data-sync#2026-03-02T02:00:00Z"
    assert set(body) >= {"message", "timestamp", "recordsProcessed", "processingTimeMs", "syncId"}
    assert result.response["statusCode"] == 200


def test_pagination_is_followed_to_the_last_page(make_stack: MakeStack) -> None:
    with make_stack(env={"API_PAGE_SIZE": "7"}, changes_per_day=60) as stack:
        result = stack.invoke(RUN + 2 * DAY)

        assert result.status == "succeeded", result.error
        assert set(stack.records()) == set(stack.dataset.state_at(RUN + 2 * DAY))


def test_the_next_run_fetches_only_what_changed_since_the_last_success(stack: Stack) -> None:
    stack.invoke(RUN)
    second = stack.invoke(RUN + DAY)

    window = stack.dataset.changed_between(RUN, RUN + DAY)
    assert second.response["body"]["recordsProcessed"] == len(window)
    sync = stack.syncs()["daily-data-sync#2026-03-02T02:00:00Z"]
    assert sync["windowFrom"] == "2026-03-01T02:00:00Z"
    assert sync["windowTo"] == "2026-03-02T02:00:00Z"


def test_a_repeated_event_creates_no_second_sync_item_and_changes_nothing(stack: Stack) -> None:
    first = stack.invoke(RUN)
    records_before = stack.records()
    syncs_before = stack.syncs()

    again = stack.invoke(RUN)

    assert again.status == "succeeded"
    assert again.response["body"]["syncId"] == first.response["body"]["syncId"]
    assert again.response["body"]["status"] == "skipped"
    assert again.response["body"]["recordsProcessed"] == 0
    assert stack.records() == records_before
    assert stack.syncs() == syncs_before
    assert len(stack.syncs()) == 1


def test_sync_item_carries_the_seed_fields(stack: Stack) -> None:
    stack.invoke(RUN)

    (sync,) = stack.syncs().values()
    assert sync["date"] == "2026-03-01"
    assert sync["source"] == "external-api"
    assert sync["status"] == "success"
    assert sync["executedAt"] == "2026-03-01T02:00:00Z"
    assert sync["isActive"] is True
    assert isinstance(sync["recordCount"], int)
    assert isinstance(sync["processingTime"], int)
    assert json.loads(sync["data"])["written"] == sync["recordCount"]


def test_retention_archives_records_created_before_keep_days(make_stack: MakeStack) -> None:
    with make_stack(env={"KEEP_RECORDS_DAYS": "3"}) as stack:
        last = RUN + 9 * DAY
        for day in range(10):
            result = stack.invoke(RUN + day * DAY)
            assert result.status == "succeeded", result.error

        cutoff = (last - 3 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
        stored = stack.records()
        assert set(stored) == set(stack.dataset.state_at(last))
        for item in stored.values():
            expired = item["createdAt"] < cutoff  # the seed's rule: by creation
            assert item["isActive"] is not expired
            assert ("archivedAt" in item) is expired
            assert ("activeWeek" in item) is not expired


def test_retention_reads_only_what_it_archives(make_stack: MakeStack) -> None:
    with make_stack(env={"KEEP_RECORDS_DAYS": "2"}) as stack:
        for day in range(8):
            stack.invoke(RUN + day * DAY)
        retention = [
            json.loads(line)["metadata"]
            for line in stack.invoke(RUN + 8 * DAY).logs
            if '"RETENTION_COMPLETED"' in line
        ]

        assert retention[0]["archived"] > 0
        assert retention[0]["scanned"] == retention[0]["archived"]


def test_a_record_created_before_the_cutoff_stays_archived_when_updated(
    make_stack: MakeStack,
) -> None:
    with make_stack(env={"KEEP_RECORDS_DAYS": "2"}) as stack:
        for day in range(30):
            stack.invoke(RUN + day * DAY)

        stored = stack.records()
        cutoff = (RUN + 27 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
        updated_old = [
            item
            for item in stored.values()
            if item["createdAt"] < item["updatedAt"] and item["createdAt"] < cutoff
        ]
        assert updated_old, "the dataset updates old records"
        for item in updated_old:  # the seed's rule: archived by creation, updates or not
            assert item["isActive"] is False and "archivedAt" in item
        assert all(i["createdAt"] >= cutoff for i in stored.values() if i["isActive"])


def _api_serving(records: list[Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/records")
    async def serve(request: Request) -> dict[str, Any]:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        return {"records": records, "next_cursor": None}

    return app


GOOD = {
    "id": "rec-1",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "amountCents": 1200,
    "category": "retail",
    "status": "active",
    "createdAt": "2026-02-28T10:00:00Z",
    "updatedAt": "2026-02-28T10:00:00Z",
}


def test_invalid_records_are_counted_logged_and_make_the_run_partial(
    make_stack: MakeStack,
) -> None:
    bad = [
        {**GOOD, "id": "rec-2", "amountCents": "12.00"},
        {k: v for k, v in GOOD.items() if k != "email"} | {"id": "rec-3"},
        "not an object",
        {**GOOD, "id": "rec-4", "updatedAt": "yesterday"},
    ]
    with make_stack(app=_api_serving([GOOD, *bad])) as stack:
        result = stack.invoke(RUN)

        assert result.status == "succeeded", result.error
        assert result.response["body"]["status"] == "partial"
        assert set(stack.records()) == {"rec-1"}
        (sync,) = stack.syncs().values()
        assert sync["status"] == "partial"
        assert sync["invalidCount"] == 4
        assert "cursorSource" not in sync  # the next run asks for the same window again
        invalid_logs = [line for line in result.logs if '"INVALID_RECORD"' in line]
        assert len(invalid_logs) == 4


def test_duplicate_records_in_one_response_are_written_once(make_stack: MakeStack) -> None:
    newer = {**GOOD, "name": "Ada King", "updatedAt": "2026-02-28T11:00:00Z"}
    with make_stack(app=_api_serving([GOOD, newer, GOOD])) as stack:
        result = stack.invoke(RUN)

        assert result.status == "succeeded", result.error
        assert stack.records()["rec-1"]["name"] == "Ada King"


def test_the_api_token_never_appears_in_logs(make_stack: MakeStack) -> None:
    with make_stack(env={"LOG_LEVEL": "DEBUG"}) as stack:
        logs = stack.invoke(RUN).logs + stack.invoke(RUN + DAY).logs

        assert logs
        assert all(TOKEN not in line for line in logs)


def test_logs_are_structured_json_lines(stack: Stack) -> None:
    lines = [json.loads(line) for line in stack.invoke(RUN).logs]
    logs = [line for line in lines if "_aws" not in line]  # the rest are metrics (EMF)

    assert {entry["event"] for entry in logs} >= {"SYNC_STARTED", "SYNC_COMPLETED"}
    for entry in logs:
        assert set(entry) == {
            "timestamp",
            "level",
            "event",
            "metadata",
            "environment",
            "functionName",
            "requestId",
        }
        assert entry["functionName"] == "scheduled-sync"
        assert entry["environment"] == "dev"


def test_an_unreachable_api_fails_the_run_within_its_time_and_records_it(
    make_stack: MakeStack,
) -> None:
    env = {"EXTERNAL_API_URL": "http://127.0.0.1:9", "API_MAX_ATTEMPTS": "4"}
    with make_stack(env=env, timeout_seconds=60) as stack:
        result = stack.invoke(RUN)

        assert result.status == "function_error"
        assert "ApiError" in (result.error or "")
        assert result.duration_ms < 60_000
        (sync,) = stack.syncs().values()
        assert sync["status"] == "failed"
        assert "cursorSource" not in sync
        [metrics] = [json.loads(line) for line in result.logs if '"_aws"' in line]
        assert (metrics["Failures"], metrics["RecordsProcessed"]) == (1, 0)


def test_after_an_outage_the_next_success_catches_up(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert stack.invoke(RUN).status == "succeeded"
    api_url = os.environ["EXTERNAL_API_URL"]
    monkeypatch.setenv("EXTERNAL_API_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("API_MAX_ATTEMPTS", "2")
    for day in (1, 2, 3):
        assert stack.invoke(RUN + day * DAY).status == "function_error"
    monkeypatch.setenv("EXTERNAL_API_URL", api_url)

    recovered = stack.invoke(RUN + 4 * DAY)

    assert recovered.status == "succeeded", recovered.error
    assert recovered.response["body"]["recordsProcessed"] == len(
        stack.dataset.changed_between(RUN, RUN + 4 * DAY)
    )
    assert set(stack.records()) == set(stack.dataset.state_at(RUN + 4 * DAY))
    statuses = [stack.syncs()[k]["status"] for k in sorted(stack.syncs())]
    assert statuses == ["success", "failed", "failed", "failed", "success"]


def test_a_missing_setting_is_an_error_naming_it(make_stack: MakeStack) -> None:
    with make_stack(env={"RECORDS_TABLE": ""}) as stack:
        result = stack.invoke(RUN)

        assert result.status == "function_error"
        assert "RECORDS_TABLE" in (result.error or "")


def test_a_second_invocation_during_a_run_is_refused_by_the_lease(stack: Stack) -> None:
    client = stack.backend.client("dynamodb")
    holder_until = "2099-01-01T00:00:00Z"
    client.put_item(
        TableName=stack.deployed.spec.sync_table,
        Item={
            "syncId": {"S": "lease#external-api"},
            "holder": {"S": "other"},
            "expiresAt": {"S": holder_until},
        },
    )

    result = stack.invoke(RUN)

    assert result.status == "function_error"
    assert "SyncInProgress" in (result.error or "")
    assert stack.records() == {}
    assert stack.syncs() == {}  # the holder's run is not marked failed by the loser


def test_an_expired_lease_does_not_block_the_next_run(stack: Stack) -> None:
    stack.backend.client("dynamodb").put_item(
        TableName=stack.deployed.spec.sync_table,
        Item={
            "syncId": {"S": "lease#external-api"},
            "holder": {"S": "crashed-invocation"},
            "expiresAt": {"S": "2026-03-01T01:00:00Z"},
        },
    )

    assert stack.invoke(RUN).status == "succeeded"
    assert "lease#external-api" not in stack.table(stack.deployed.spec.sync_table)


def test_a_stale_index_entry_never_overwrites_a_record_this_run_wrote() -> None:
    """GSI reads are eventually consistent: the sweep must not trust one for a record
    the same run has just rewritten."""
    from function.store import Store

    stale_entry = {
        "id": {"S": "rec-1"},
        "updatedAt": {"S": "2025-01-01T00:00:00Z"},
        "activeWeek": {"S": "2025-W01"},
        "isActive": {"BOOL": True},
    }
    writes: list[list[dict[str, Any]]] = []

    class SweepOnly(Store):
        def __init__(self) -> None:  # no client: the two I/O methods are replaced
            pass

        def _expired_pages(self, floor: str, cutoff: str) -> Any:
            yield {"ScannedCount": 1, "Items": [stale_entry]}

        def write_records(self, items: list[dict[str, Any]]) -> int:
            writes.append(items)
            return len(items)

    archived, scanned = SweepOnly().archive_older_than(
        "2026-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
        just_written=frozenset({"rec-1"}),
    )

    assert (archived, scanned) == (0, 1)
    assert writes == [[]]


def test_each_run_publishes_its_metrics_in_embedded_metric_format(stack: Stack) -> None:
    ok = [json.loads(line) for line in stack.invoke(RUN).logs if '"_aws"' in line]

    [metrics] = ok
    directive = metrics["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ScheduledSync"
    assert directive["Dimensions"] == [["FunctionName"]]
    names = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert names["RecordsProcessed"] == "Count" and names["ProcessingTime"] == "Milliseconds"
    assert metrics["FunctionName"] == "scheduled-sync"
    assert metrics["RecordsProcessed"] > 0 and metrics["Failures"] == 0
    assert metrics["_aws"]["Timestamp"] == int(RUN.timestamp() * 1000)
