"""Virtual time: the harness moves it; nothing reads the wall clock or really sleeps.

`VirtualClock` satisfies the function's clock seam (`now`, `sleep`) and the mock API's
time source (`now`), so the function's backoff, its timestamps, Lambda's remaining-time
budget and the API's logical time all follow one timeline.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self.slept_seconds = 0.0

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance by `seconds` at once: a wait costs no wall time."""
        if seconds <= 0:
            return
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self.slept_seconds += seconds

    def advance_to(self, t: datetime) -> None:
        with self._lock:
            if t < self._now:
                raise ValueError(f"virtual time cannot go back from {self._now} to {t}")
            self._now = t
