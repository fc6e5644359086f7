"""Faults that live on the socket, against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from function.api_client import RecordsApi
from function.logs import StructuredLogger
from harness.clock import VirtualClock
from mock_api import BackgroundServer, Dataset, SettableClock, TimeSource, create_app

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
NOW = ORIGIN + timedelta(days=3)
AUTH = {"Authorization": "Bearer tkn"}


@pytest.fixture
def server() -> Iterator[Any]:
    servers: list[BackgroundServer] = []

    def start(
        fault: dict[str, Any], clock: TimeSource | None = None, **match: Any
    ) -> BackgroundServer:
        app = create_app(
            Dataset(seed=4, origin=ORIGIN, changes_per_day=30),
            token="tkn",
            clock=clock or VirtualClock(NOW),
        )
        running = BackgroundServer(app).start()
        servers.append(running)
        rules = {"rules": [{"match": match, "fault": fault}]}
        assert httpx.post(f"{running.url}/_faults", json=rules).status_code == 200
        return running

    yield start
    for running in servers:
        running.stop()


def journal(server: BackgroundServer) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = httpx.get(f"{server.url}/_requests").json()["requests"]
    return requests


def test_hang_sends_nothing_until_the_client_gives_up(server: Any) -> None:
    api = server({"kind": "hang"})
    started = time.perf_counter()

    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{api.url}/records", headers=AUTH, timeout=0.3)

    assert time.perf_counter() - started < 5
    time.sleep(0.1)  # the server notices the client left
    assert journal(api)[0]["status"] is None
    assert journal(api)[0]["fault"] == "hang"


def test_reset_is_a_tcp_reset(server: Any) -> None:
    api = server({"kind": "reset"})

    with pytest.raises(httpx.ReadError, match="reset"):
        httpx.get(f"{api.url}/records", headers=AUTH)


def test_empty_closes_without_a_response(server: Any) -> None:
    api = server({"kind": "empty"})

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        httpx.get(f"{api.url}/records", headers=AUTH)


def test_truncated_declares_the_full_length_and_sends_half(server: Any) -> None:
    api = server({"kind": "truncated"})

    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|complete message body"):
        httpx.get(f"{api.url}/records", headers=AUTH)
    time.sleep(0.1)
    assert journal(api)[0]["status"] == 200


def test_drip_sends_the_body_in_slow_chunks_on_the_wall_clock(server: Any) -> None:
    clock = SettableClock()
    clock.set(NOW)
    api = server({"kind": "drip", "chunks": 4, "chunk_interval_ms": 80}, clock)
    arrivals: list[float] = []
    started = time.perf_counter()

    with httpx.stream("GET", f"{api.url}/records", headers=AUTH) as answer:
        body = b""
        for piece in answer.iter_raw():
            arrivals.append(time.perf_counter() - started)
            body += piece

    assert len(arrivals) >= 3
    assert arrivals[-1] >= 0.3  # four gaps of 80 ms
    assert httpx.Response(200, content=body).json()["records"]


def test_drip_on_a_virtual_clock_spends_logical_time(server: Any) -> None:
    clock = VirtualClock(NOW)
    api = server({"kind": "drip", "chunks": 5, "chunk_interval_ms": 4000}, clock)
    started = time.perf_counter()

    answer = httpx.get(f"{api.url}/records", headers=AUTH)

    assert answer.status_code == 200
    assert clock.now() - NOW == timedelta(seconds=20)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "hang"},
        {"kind": "reset"},
        {"kind": "empty"},
        {"kind": "truncated"},
        {"kind": "malformed_json"},
        {"kind": "drip", "chunks": 4, "chunk_interval_ms": 5000},
        {"status": 503},
        {"delay_ms": 30_000},
    ],
    ids=lambda fault: str(fault.get("kind") or fault.get("status") or "delay"),
)
def test_the_function_retries_through_each_fault(server: Any, fault: dict[str, Any]) -> None:
    clock = VirtualClock(NOW)
    api = server(fault, clock, first=2)
    deadline = NOW + timedelta(minutes=5)
    with httpx.Client() as http:
        client = RecordsApi(
            base_url=api.url,
            token="tkn",
            timeout_seconds=10,
            max_attempts=6,
            page_size=100,
            clock=clock,
            rng=random.Random(1),
            logger=StructuredLogger(
                level="ERROR", environment="test", function_name="f", request_id="r", clock=clock
            ),
            seconds_left=lambda: (deadline - clock.now()).total_seconds(),
            http=http,
        )
        records = client.fetch_changed(ORIGIN, NOW)

    assert records == Dataset(seed=4, origin=ORIGIN, changes_per_day=30).changed_between(
        ORIGIN, NOW
    )
    time.sleep(0.1)
    faulted = [e for e in journal(api) if e["fault"]]
    assert len(faulted) == 2
    if fault.get("kind") == "hang":
        # Each hang cost the client its whole 10 s timeout, in virtual time.
        assert clock.now() - NOW >= timedelta(seconds=20)
