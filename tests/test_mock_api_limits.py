"""The mock API cannot be frozen or broken by a request: the work one request causes is
bounded, out-of-range instants are 4xx, hostile bodies are 422, and a rejected rule
document leaves the rules in force as they were."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from mock_api import BackgroundServer, Dataset, create_app

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
AUTH = {"Authorization": "Bearer tkn"}


def client(**kwargs: object) -> TestClient:
    return TestClient(create_app(Dataset(seed=2, origin=ORIGIN, **kwargs), token="tkn"))  # type: ignore[arg-type]


def test_a_window_into_the_far_future_is_served_as_of_now_at_once() -> None:
    api = client()
    api.post("/_clock", json={"now": "2026-01-10T00:00:00Z"})

    started = time.monotonic()
    answer = api.get(
        "/records", params={"updated_until": "9999-12-31T23:59:59Z", "page_size": 1}, headers=AUTH
    )

    assert answer.status_code == 200
    assert time.monotonic() - started < 5
    assert answer.json()["records"][0]["updatedAt"] <= "2026-01-10T00:00:00Z"


def test_a_window_bigger_than_the_limit_is_a_400_that_says_how_to_narrow_it() -> None:
    api = client(changes_per_day=100_000)
    api.post("/_clock", json={"now": "2026-03-01T00:00:00Z"})

    answer = api.get("/records", headers=AUTH)

    assert answer.status_code == 400
    assert "narrow it with updated_since" in answer.json()["error"]


@pytest.mark.parametrize("instant", ["9999-12-31T23:00:00-05:00", "x" * 5000, "2026-13-01"])
def test_instants_that_are_not_instants_are_4xx(instant: str) -> None:
    api = client()

    assert api.get("/records", params={"updated_until": instant}, headers=AUTH).status_code == 400
    assert api.get("/records", params={"updated_since": instant}, headers=AUTH).status_code == 400
    assert api.post("/_clock", json={"now": instant}).status_code == 422


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_logical_time_out_of_range_is_422_and_a_query_takes_it_as_a_bound(instant: str) -> None:
    api = client()
    api.post("/_clock", json={"now": "2026-01-03T00:00:00Z"})

    assert api.post("/_clock", json={"now": instant}).status_code == 422
    answer = api.get("/records", params={"updated_since": "0001-01-01T00:00:00Z"}, headers=AUTH)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"[" * 200_000 + b"]" * 200_000, b"{" * 5 + b"x", b"x" * 2_000_000, b"[1, 2]", b"\xff\xfe"],
)
def test_hostile_bodies_are_422_and_the_server_still_serves(body: bytes) -> None:
    api = client()

    assert api.post("/_faults", content=body).status_code == 422
    assert api.post("/_clock", content=body).status_code == 422
    assert api.get("/_health").status_code == 200


def test_a_rejected_rule_document_leaves_the_rules_in_force() -> None:
    api = client()
    rules = {"rules": [{"match": {"every": 2}, "fault": {"status": 503}}], "seed": 3}
    assert api.post("/_faults", json=rules).status_code == 200

    bad = {"rules": [{"match": {"window": {"from": "9999999d"}}, "fault": {"status": 503}}]}
    assert api.post("/_faults", json=bad).status_code == 422

    kept = api.get("/_faults").json()
    assert kept["rules"] == rules["rules"] and kept["seed"] == 3
    statuses = [api.get("/records", headers=AUTH).status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]  # still in effect, counting on


def test_the_server_answers_health_while_a_big_window_is_built() -> None:
    app = create_app(Dataset(seed=2, origin=ORIGIN, changes_per_day=2_000), token="tkn")
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url) as http:
        http.post("/_clock", json={"now": "2026-04-01T00:00:00Z"})
        answers: list[int] = []
        big = threading.Thread(
            target=lambda: answers.append(
                http.get("/records", headers=AUTH, timeout=120).status_code
            )
        )
        big.start()
        time.sleep(0.05)
        started = time.monotonic()
        health = http.get("/_health", timeout=30)
        waited = time.monotonic() - started
        big.join()

    assert health.status_code == 200 and answers == [200]
    assert waited < 1.0
