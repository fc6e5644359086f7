"""Where the mock API reads logical time from.

In a harness run the API shares the harness's virtual clock (any object with `now()`;
one that also has `sleep()` and `virtual = True` lets the API spend logical time on
delays and drips without really waiting). Standing alone it follows the wall clock
until someone sets its logical time with `POST /_clock`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol


class TimeSource(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """The wall clock, or a logical time someone set (`POST /_clock`). Waits are real:
    the process that sets the time owns the timeline."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        fixed = self._fixed
        return fixed if fixed is not None else datetime.now(UTC)

    def set(self, instant: datetime | None) -> None:
        """Hold logical time at `instant` (timezone-aware), or follow the wall clock."""
        with self._lock:
            self._fixed = instant.astimezone(UTC) if instant is not None else None

    @property
    def following_wall_clock(self) -> bool:
        return self._fixed is None
