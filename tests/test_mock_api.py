"""The mock API over HTTP: auth, the window, pagination, bad requests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from mock_api import Dataset, create_app

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
AUTH = {"Authorization": "Bearer tkn"}


def client(**kwargs: Any) -> TestClient:
    return TestClient(create_app(Dataset(seed=2, origin=ORIGIN, **kwargs), token="tkn"))


def test_records_need_the_bearer_token() -> None:
    api = client()

    assert api.get("/records").status_code == 401
    assert api.get("/records", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_pages_cover_the_window_exactly_once() -> None:
    api = client(changes_per_day=50)
    params = {"updated_since": "2026-01-02T00:00:00Z", "updated_until": "2026-01-05T00:00:00Z"}
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = api.get(
            "/records",
            params=params | {"page_size": "17"} | ({"cursor": cursor} if cursor else {}),
            headers=AUTH,
        ).json()
        assert len(answer["records"]) <= 17
        seen.extend(answer["records"])
        cursor = answer["next_cursor"]
        if cursor is None:
            break

    expected = Dataset(seed=2, origin=ORIGIN, changes_per_day=50).changed_between(
        ORIGIN + timedelta(days=1), ORIGIN + timedelta(days=4)
    )
    assert seen == expected


def test_the_same_window_gives_the_same_answer() -> None:
    params = {"updated_until": "2026-01-03T12:00:00Z"}
    assert (
        client().get("/records", params=params, headers=AUTH).json()
        == client().get("/records", params=params, headers=AUTH).json()
    )


def test_bad_parameters_are_400_with_the_reason() -> None:
    api = client()
    for params, reason in [
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"cursor": "!!!"}, "cursor"),
        (
            {"updated_since": "2026-02-01T00:00:00Z", "updated_until": "2026-01-01T00:00:00Z"},
            "after",
        ),
    ]:
        answer = api.get("/records", params=params, headers=AUTH)
        assert answer.status_code == 400
        assert reason in answer.json()["error"]
    assert api.get("/records", params={"page_size": "0"}, headers=AUTH).status_code == 400


def test_health() -> None:
    assert client().get("/_health").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "99999"], "--port"),
        (["--faults", "sometimes"], "unknown fault profile 'sometimes'"),
        (["--faults", "missing/rules.yaml"], "does not exist"),
    ],
)
def test_cli_rejects_bad_input_in_one_line(args: list[str], named: str) -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "mock_api", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert answer.returncode == 2
    assert answer.stderr.strip().count("\n") == 0
    assert named in answer.stderr


def test_the_standalone_server_takes_a_profile_and_socket_faults() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mock_api", "--port", str(port), "--faults", "bad-data"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                faults = httpx.get(f"{url}/_faults").json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the mock API did not start"
                time.sleep(0.1)
        assert faults["rules"][0]["name"] == "invalid records"

        rules = {"rules": [{"fault": {"kind": "reset"}}]}
        assert httpx.post(f"{url}/_faults", json=rules).status_code == 200
        with pytest.raises(httpx.ReadError):
            httpx.get(f"{url}/records", headers={"Authorization": "Bearer local-dev-token"})
    finally:
        server.terminate()
        server.wait(timeout=30)
