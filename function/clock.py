"""The function's one seam for time: everything that waits or stamps goes through here.

On AWS the system clock is used. A harness swaps in its own clock with `set_clock`, so
backoff, timestamps and network timeouts follow virtual time without patching the `time`
module globally.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def io_timeout(self, seconds: float) -> float:
        """The socket timeout that stands for waiting `seconds` on this clock."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def io_timeout(self, seconds: float) -> float:
        return seconds


_current: Clock = SystemClock()


def get_clock() -> Clock:
    return _current


def set_clock(clock: Clock) -> Clock:
    """Install `clock` for every later invocation; returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous


def iso(t: datetime) -> str:
    """UTC instant as `2026-03-04T02:00:00Z` (second precision, sortable as text)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(t: datetime) -> str:
    """UTC instant with milliseconds, `2026-03-04T02:00:00.000Z`, as the seed logs it."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 instant; a value without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
