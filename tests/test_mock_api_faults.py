"""Fault injection over HTTP, in process: responses, altered pages, journal, control plane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from function.records import Invalid, validate
from harness.clock import VirtualClock
from mock_api import Dataset, create_app

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
AUTH = {"Authorization": "Bearer tkn"}
WINDOW = {"updated_since": "2026-01-02T00:00:00Z", "updated_until": "2026-01-05T00:00:00Z"}


def api(clock: VirtualClock | None = None, **faults: Any) -> TestClient:
    app = create_app(
        Dataset(seed=3, origin=ORIGIN, changes_per_day=40),
        token="tkn",
        clock=clock or VirtualClock(ORIGIN + timedelta(days=5)),
    )
    client = TestClient(app)
    if faults:
        assert client.post("/_faults", json=faults).status_code == 200
    return client


def one_rule(fault: dict[str, Any], **match: Any) -> dict[str, Any]:
    return {"rules": [{"match": match, "fault": fault}]}


def all_pages(client: TestClient, page_size: int = 25) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        params = WINDOW | {"page_size": str(page_size)} | ({"cursor": cursor} if cursor else {})
        answer = client.get("/records", params=params, headers=AUTH)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body["records"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def truth() -> list[dict[str, Any]]:
    return Dataset(seed=3, origin=ORIGIN, changes_per_day=40).changed_between(
        ORIGIN + timedelta(days=1), ORIGIN + timedelta(days=4)
    )


def test_a_status_fault_answers_with_its_headers_and_body() -> None:
    client = api(
        **one_rule(
            {"status": 429, "headers": {"Retry-After": "120"}, "body": {"error": "slow down"}}
        )
    )

    answer = client.get("/records", headers=AUTH)

    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "120"
    assert answer.json() == {"error": "slow down"}


def test_a_status_fault_without_a_body_says_it_was_injected() -> None:
    answer = api(**one_rule({"status": 503})).get("/records", headers=AUTH)

    assert answer.status_code == 503
    assert "injected" in answer.json()["error"]


def test_only_the_matching_requests_fail() -> None:
    client = api(**one_rule({"status": 500}, nth=[2]))

    statuses = [client.get("/records", headers=AUTH).status_code for _ in range(3)]

    assert statuses == [200, 500, 200]


def test_a_delay_spends_logical_time_not_wall_time() -> None:
    clock = VirtualClock(ORIGIN + timedelta(days=5))
    client = api(clock, **one_rule({"delay_ms": 90_000}))
    before = clock.now()

    answer = client.get("/records", headers=AUTH)

    assert answer.status_code == 200
    assert clock.now() - before == timedelta(seconds=90)
    assert client.get("/_requests").json()["requests"][0]["logical_ms"] == 90_000


def test_malformed_json_is_a_200_that_does_not_parse() -> None:
    answer = api(**one_rule({"kind": "malformed_json"})).get("/records", headers=AUTH)

    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_invalid_records_fail_validation_and_leave_the_others_intact() -> None:
    pages = all_pages(api(**one_rule({"kind": "invalid_records", "records": 3}, nth=[1])))

    served = [r for page in pages for r in page]
    invalid = [r for r in served if isinstance(validate(r), Invalid)]
    assert len(invalid) == 3
    valid = [r for r in served if not isinstance(validate(r), Invalid)]
    assert all(r in truth() for r in valid)
    assert len(served) == len(truth())


def test_duplicate_records_repeat_the_previous_pages_last_record() -> None:
    pages = all_pages(api(**one_rule({"kind": "duplicate_records"}, nth=[2])))

    assert pages[1][0] == pages[0][-1]
    served = [r for page in pages for r in page]
    assert len(served) == len(truth()) + 1
    assert {r["id"] for r in served} == {r["id"] for r in truth()}


def test_page_drift_moves_a_record_to_the_next_page_and_loses_none() -> None:
    clean = all_pages(api())
    drifted = all_pages(api(**one_rule({"kind": "page_drift", "records": 2}, nth=[1])))

    assert len(drifted[0]) == len(clean[0]) - 2
    moved = [r for r in clean[0] if r not in drifted[0]]
    assert drifted[1][:2] == moved
    assert sorted((r for p in drifted for r in p), key=lambda r: r["id"]) == sorted(
        truth(), key=lambda r: r["id"]
    )


@pytest.mark.parametrize("kind", ["invalid_records", "duplicate_records", "page_drift"])
def test_faults_never_change_the_data(kind: str) -> None:
    client = api(**{"rules": [{"match": {"probability": 0.5}, "fault": {"kind": kind}}]})
    all_pages(client)  # serve some altered pages, and hold some records back

    client.delete("/_faults")

    assert [r for p in all_pages(client) for r in p] == truth()


def test_page_drift_moves_the_only_record_of_a_page() -> None:
    pages = all_pages(api(**one_rule({"kind": "page_drift"}, nth=[1])), page_size=1)

    assert pages[0] == []
    assert [r for p in pages for r in p] == truth()


def test_a_drip_of_an_empty_body_still_ends() -> None:
    answer = api(**one_rule({"status": 200, "body": "", "kind": "drip"})).get("/records")

    assert (answer.status_code, answer.content) == (200, b"")


def test_a_204_fault_sends_no_body() -> None:
    answer = api(**one_rule({"status": 204})).get("/records", headers=AUTH)

    assert (answer.status_code, answer.content) == (204, b"")


def test_the_journal_records_every_data_request_and_no_control_request() -> None:
    clock = VirtualClock(ORIGIN + timedelta(days=5))
    client = api(clock, **one_rule({"status": 503}, first=1))
    client.get("/records", params={"page_size": "5"}, headers=AUTH)
    clock.sleep(30)
    client.get("/records", params={"page_size": "5"}, headers=AUTH)
    client.get("/_health")

    journal = client.get("/_requests").json()

    assert journal["count"] == 2
    first, second = journal["requests"]
    assert (first["status"], first["fault"], first["rule"]) == (503, "503", 0)
    assert (second["status"], second["fault"], second["rule"]) == (200, None, None)
    assert first["query"] == {"page_size": "5"}
    assert (first["method"], first["path"]) == ("GET", "/records")
    assert first["logical_time"] == "2026-01-06T00:00:00.000Z"
    assert second["logical_time"] == "2026-01-06T00:00:30.000Z"
    assert client.get("/_requests", params={"since": 1}).json()["requests"] == [second]


def test_rules_can_be_read_replaced_and_cleared() -> None:
    client = api(**one_rule({"status": 503}, first=2))
    client.get("/records", headers=AUTH)

    listed = client.get("/_faults").json()
    assert listed["rules"] == [{"match": {"first": 2}, "fault": {"status": 503}}]
    assert listed["stats"][0]["applied"] == 1

    assert client.delete("/_faults").json() == {"rules": 0}
    assert client.get("/records", headers=AUTH).status_code == 200


def test_a_bad_rule_over_http_is_422_naming_the_field() -> None:
    client = api()

    answer = client.post("/_faults", json=one_rule({"status": 503}, probability=2))

    assert answer.status_code == 422
    assert "rules[0].match.probability" in answer.json()["detail"]


def test_rules_may_be_posted_without_a_json_content_type() -> None:
    client = api()

    answer = client.post("/_faults", content=b'{"rules": [{"fault": {"status": 500}}]}')

    assert answer.status_code == 200
    assert client.get("/records", headers=AUTH).status_code == 500


def test_a_body_that_is_not_json_is_422_saying_so() -> None:
    answer = api().post("/_faults", content=b"rules: [")

    assert answer.status_code == 422
    assert "not JSON" in answer.json()["detail"]


def test_reset_forgets_rules_and_journal() -> None:
    client = api(**one_rule({"status": 503}))
    client.get("/records", headers=AUTH)

    client.post("/_reset")

    assert client.get("/_requests").json()["count"] == 0
    assert client.get("/_faults").json()["rules"] == []
    assert client.get("/records", headers=AUTH).status_code == 200


def test_logical_time_is_set_over_http_when_the_api_runs_alone() -> None:
    client = TestClient(create_app(Dataset(seed=3, origin=ORIGIN), token="tkn"))

    answer = client.post("/_clock", json={"now": "2026-01-03T00:00:00Z"})

    assert answer.status_code == 200
    assert client.get("/_health").json()["logicalTime"].startswith("2026-01-03T00:00:00")
    newest = client.get("/records", headers=AUTH).json()["records"][-1]
    assert newest["updatedAt"] <= "2026-01-03T00:00:00Z"
    assert client.post("/_clock", json={"now": "soon"}).status_code == 422
    assert client.post("/_clock", json={"now": 5}).status_code == 422
    assert client.get("/_health").json()["logicalTime"].startswith("2026-01-03T00:00:00")
    assert client.post("/_clock", json={"now": None}).status_code == 200


def test_logical_time_owned_by_a_harness_cannot_be_set_over_http() -> None:
    assert api().post("/_clock", json={"now": "2026-01-03T00:00:00Z"}).status_code == 409


def test_the_same_rules_and_seed_give_the_same_journal() -> None:
    rules = {"rules": [{"match": {"probability": 0.3}, "fault": {"status": 502}}]}

    def journal() -> list[tuple[Any, ...]]:
        client = api(**rules)
        for _ in range(40):
            client.get("/records", params={"page_size": "3"}, headers=AUTH)
        return [
            (e["status"], e["fault"], e["query"]["page_size"])
            for e in client.get("/_requests").json()["requests"]
        ]

    assert journal() == journal()
