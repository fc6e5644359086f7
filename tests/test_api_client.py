"""The API client's retries, backoff, Retry-After and deadline, on a virtual clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from function.api_client import ApiError, RecordsApi
from function.logs import StructuredLogger
from harness.clock import VirtualClock

T0 = datetime(2026, 3, 1, 2, tzinfo=UTC)
UNTIL = datetime(2026, 3, 1, 2, tzinfo=UTC)


def page(records: list[dict[str, str]], cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"records": records, "next_cursor": cursor})


def make_api(
    handler: Callable[[httpx.Request], httpx.Response],
    clock: VirtualClock,
    *,
    budget_seconds: float = 300,
    max_attempts: int = 6,
) -> RecordsApi:
    deadline = clock.now().timestamp() + budget_seconds
    return RecordsApi(
        base_url="http://api.test",
        token="secret-token",
        timeout_seconds=5,
        max_attempts=max_attempts,
        page_size=2,
        clock=clock,
        rng=random.Random(1),
        logger=StructuredLogger(
            level="ERROR", environment="test", function_name="f", request_id="r", clock=clock
        ),
        seconds_left=lambda: deadline - clock.now().timestamp(),
        http=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_pages_are_followed_and_the_token_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "cursor" not in request.url.params:
            return page([{"id": "a"}, {"id": "b"}], "c1")
        return page([{"id": "c"}])

    records = make_api(handler, VirtualClock(T0)).fetch_changed(None, UNTIL)

    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert all(r.headers["authorization"] == "Bearer secret-token" for r in seen)
    assert seen[0].url.params["updated_until"] == "2026-03-01T02:00:00Z"
    assert "updated_since" not in seen[0].url.params


@pytest.mark.parametrize("failure", [500, 502, 503, "timeout", "reset", "not json"])
def test_transient_failures_are_retried_with_growing_waits(failure: object) -> None:
    clock = VirtualClock(T0)
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 3:
            if failure == "timeout":
                raise httpx.ReadTimeout("slow", request=request)
            if failure == "reset":
                raise httpx.RemoteProtocolError("reset", request=request)
            if failure == "not json":
                return httpx.Response(200, content=b"{truncated")
            return httpx.Response(int(str(failure)))
        return page([{"id": "a"}])

    records = make_api(handler, clock).fetch_changed(None, UNTIL)

    assert [r["id"] for r in records] == ["a"]
    # A timed-out request itself lasts the 5 s timeout, in virtual time.
    waited = clock.slept_seconds - (3 * 5 if failure == "timeout" else 0)
    # Equal jitter: each wait is between half and all of 1 s, 2 s, 4 s.
    assert 0.5 + 1 + 2 <= waited <= 1 + 2 + 4


def test_a_timeout_costs_its_length_in_virtual_time_but_little_wall_time() -> None:
    clock = VirtualClock(T0)
    asked: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.extensions["timeout"]["read"])
        if len(asked) == 1:
            raise httpx.ReadTimeout("no answer", request=request)
        return page([{"id": "a"}])

    make_api(handler, clock).fetch_changed(None, UNTIL)

    assert asked[0] <= 1.0  # the socket waits at most a wall second for 5 virtual ones
    assert clock.slept_seconds >= 5


def test_a_response_slower_than_the_timeout_counts_as_a_timeout() -> None:
    clock = VirtualClock(T0)
    answers = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal answers
        answers += 1
        if answers == 1:
            clock.sleep(12)  # the server dribbled the body for 12 virtual seconds
        return page([{"id": "a"}])

    records = make_api(handler, clock).fetch_changed(None, UNTIL)

    assert answers == 2
    assert [r["id"] for r in records] == ["a"]


def test_retry_after_on_429_is_honoured() -> None:
    clock = VirtualClock(T0)
    answers = [httpx.Response(429, headers={"Retry-After": "120"}), page([])]

    make_api(lambda _: answers.pop(0), clock).fetch_changed(None, UNTIL)

    assert clock.slept_seconds == 120


def test_retry_after_as_an_http_date_is_honoured() -> None:
    clock = VirtualClock(T0)
    answers = [
        httpx.Response(429, headers={"Retry-After": "Sun, 01 Mar 2026 02:00:30 GMT"}),
        page([]),
    ]

    make_api(lambda _: answers.pop(0), clock).fetch_changed(None, UNTIL)

    assert clock.slept_seconds == 30


@pytest.mark.parametrize("status", [401, 403, 404])
def test_client_errors_fail_at_once(status: int) -> None:
    clock = VirtualClock(T0)
    with pytest.raises(ApiError, match=str(status)):
        make_api(lambda _: httpx.Response(status), clock).fetch_changed(None, UNTIL)
    assert clock.slept_seconds == 0


def test_gives_up_after_max_attempts() -> None:
    with pytest.raises(ApiError, match="after 3 attempts"):
        make_api(lambda _: httpx.Response(503), VirtualClock(T0), max_attempts=3).fetch_changed(
            None, UNTIL
        )


def test_gives_up_rather_than_wait_past_the_invocation_budget() -> None:
    clock = VirtualClock(T0)
    answers = [httpx.Response(429, headers={"Retry-After": "600"}), page([])]

    with pytest.raises(ApiError, match="giving up"):
        make_api(lambda _: answers.pop(0), clock, budget_seconds=300).fetch_changed(None, UNTIL)
    assert clock.slept_seconds == 0
