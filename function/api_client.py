"""Client for the external records API: pagination, timeouts, backoff, Retry-After.

Retries cover what is transient: 5xx, 429, timeouts, connection errors and bodies that
do not parse. Other 4xx answers (401, 404) are configuration errors and fail at once.
Every wait goes through the function's clock and is refused when it would leave too
little of the invocation's remaining time to record the outcome.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .clock import Clock, iso
from .logs import StructuredLogger

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
USER_AGENT = "scheduled-sync/1.0"


class ApiError(RuntimeError):
    """The API could not be read within the attempts or the time left."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class RecordsApi:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout_seconds: float,
        max_attempts: int,
        page_size: int,
        clock: Clock,
        rng: random.Random,
        logger: StructuredLogger,
        seconds_left: Callable[[], float],
        http: httpx.Client,
    ) -> None:
        self._url = f"{base_url}/records"
        self._headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._page_size = page_size
        self._clock = clock
        self._rng = rng
        self._log = logger
        self._seconds_left = seconds_left
        self._http = http
        self.requests_made = 0

    def fetch_changed(self, since: datetime | None, until: datetime) -> list[dict[str, Any]]:
        """Every record changed in (since, until], following pagination to the end."""
        params: dict[str, str] = {"updated_until": iso(until), "page_size": str(self._page_size)}
        if since is not None:
            params["updated_since"] = iso(since)
        records: list[dict[str, Any]] = []
        cursor: str | None = None
        pages = 0
        while True:
            page_params = dict(params, cursor=cursor) if cursor else params
            body = self._get_page(page_params)
            records.extend(body["records"])
            pages += 1
            cursor = body.get("next_cursor")
            if not cursor:
                break
        self._log.debug("API_FETCH_COMPLETED", pages=pages, records=len(records))
        return records

    def _get_page(self, params: dict[str, str]) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._request(params)
            except _Retryable as problem:
                # The seed's event for a failed attempt (the URL carries no secret).
                self._log.error("API_FAILURE", url=self._url, error=problem.reason, attempt=attempt)
                if attempt >= self._max_attempts:
                    raise ApiError(
                        f"external API failed after {attempt} attempts: {problem.reason}"
                    ) from None
                wait = self._wait_before(attempt, problem.retry_after)
                # seconds_left() already holds back the time needed to record the outcome.
                if wait + self._timeout > self._seconds_left():
                    raise ApiError(
                        f"external API still failing ({problem.reason}); "
                        f"giving up with {self._seconds_left():.0f}s left"
                    ) from None
                self._log.warn(
                    "API_RETRY", attempt=attempt, reason=problem.reason, waitSeconds=round(wait, 3)
                )
                self._clock.sleep(wait)

    def _wait_before(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (attempt - 1))
        # "Equal jitter": never less than half the exponential step, never in lockstep.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _request(self, params: dict[str, str]) -> dict[str, Any]:
        timeout = max(0.1, min(self._timeout, self._seconds_left() / 4))
        self.requests_made += 1
        started = self._clock.now()
        try:
            response = self._http.get(
                self._url,
                params=params,
                headers=self._headers,
                timeout=self._clock.io_timeout(timeout),
            )
        except httpx.TimeoutException:
            self._spend_until(started, timeout)
            raise _Retryable(f"timeout after {timeout:.1f}s") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error: {type(exc).__name__}") from None
        # httpx's timeouts bound each read; a body dribbled slowly can take longer in
        # all, and a page that took longer than the timeout is treated as one.
        if (self._clock.now() - started).total_seconds() > timeout:
            raise _Retryable(f"timeout after {timeout:.1f}s (slow response)")
        status = response.status_code
        if status == 429:
            raise _Retryable("429 Too Many Requests", self._retry_after(response))
        if status >= 500:
            raise _Retryable(f"HTTP {status}", self._retry_after(response))
        if status != 200:
            raise ApiError(f"external API answered HTTP {status} for {response.url.path}")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _Retryable("response body is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise _Retryable("response body has no 'records' list")
        cursor = body.get("next_cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise _Retryable("response 'next_cursor' is not a string")
        return body

    def _spend_until(self, started: datetime, timeout: float) -> None:
        """A timed-out wait lasted the whole timeout, whatever clock measured it."""
        left = timeout - (self._clock.now() - started).total_seconds()
        if left > 0:
            self._clock.sleep(left)

    def _retry_after(self, response: httpx.Response) -> float | None:
        raw = response.headers.get("Retry-After")
        if raw is None:
            return None
        raw = raw.strip()
        if raw.isdigit():
            return float(raw)
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - self._clock.now()).total_seconds())
