"""Where the mock API reads logical time from: the harness's clock or the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class TimeSource(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
