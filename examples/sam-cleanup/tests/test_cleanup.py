"""The cleanup job through two weeks of Paris nights, with the audit service failing."""

from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

CHECK = "checks:every_expired_session_archived_once"


def test_every_expired_session_is_archived_once_and_deleted(run_schedule, audit_api):
    report = run_schedule(days=14, api_upstream=audit_api, api_env="AUDIT_API_URL", check=CHECK)

    assert report.outcomes == {"succeeded": 14}
    archived = report.objects("Archive")
    left = report.table("Sessions")
    assert len(archived) + len(left) == 40
    assert all(s["expiresAt"] > 1768354200 for s in left)  # after the last run, 14 Jan 01:30 Paris


def test_an_audit_outage_fails_two_nights_and_loses_nothing(run_schedule, api_faults, audit_api):
    api_faults.load(PROJECT / "audit-outage.yaml")

    report = run_schedule(days=14, api_upstream=audit_api, api_env="AUDIT_API_URL", check=CHECK)

    assert report.outcomes == {"succeeded": 12, "failed": 2}
    refused = [e for e in report.journal if e["status"] == 503]
    assert len(refused) == 6  # two nights, each first try and Lambda's two retries
    assert {e["path"] for e in refused} == {"/audit"}


def test_the_nightly_run_keeps_to_paris_time_when_the_clocks_go_forward(run_schedule, audit_api):
    report = run_schedule(
        days=4,
        start=datetime(2026, 3, 27, tzinfo=UTC),
        api_upstream=audit_api,
        api_env="AUDIT_API_URL",
    )

    assert report.report["timezone"] == "Europe/Paris"
    assert [f.scheduled_time for f in report.fires] == [
        "2026-03-27T00:30:00Z",
        "2026-03-28T00:30:00Z",
        "2026-03-29T00:30:00Z",  # 01:30 winter time: the clocks go forward at 02:00
        "2026-03-29T23:30:00Z",  # 01:30 summer time
        "2026-03-30T23:30:00Z",
    ]


def test_a_session_written_before_the_first_night_is_cleaned_up(run_schedule, audit_api):
    def add_stale_session(stack):
        stack.client("dynamodb").put_item(
            TableName=stack.name("Sessions"),
            Item={"sessionId": {"S": "stale"}, "expiresAt": {"N": "0"}},
        )

    report = run_schedule(
        days=1, api_upstream=audit_api, api_env="AUDIT_API_URL", before_firing=add_stale_session
    )

    assert "archive/stale.json" in report.objects("Archive")
    assert "stale" not in {s["sessionId"] for s in report.table("Sessions")}
