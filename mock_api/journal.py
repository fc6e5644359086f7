"""The request journal: what the client asked for, what it was sent, which fault applied.

Logical time is the API's clock (the harness's virtual clock in a run); wall time and
wall duration are for people reading it. `same_requests` compares only what a seed
determines, so two runs can be checked for identical journals.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

DETERMINED_FIELDS = ("seq", "logical_time", "method", "path", "query", "status", "fault", "rule")


@dataclass(slots=True)
class Entry:
    seq: int
    logical_at: datetime
    wall_at: float  # seconds since the epoch
    method: str
    path: str
    query_string: bytes
    status: int | None  # None: no response was sent (hang, reset, empty)
    fault: str | None
    rule: int | None
    duration_ms: float  # wall time from request to the last byte (or the close)
    logical_ms: float  # logical time that passed meanwhile (delays, drips)

    # Formatting waits until someone reads the journal: recording stays cheap.
    @property
    def logical_time(self) -> str:
        return self.logical_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @property
    def wall_time(self) -> str:
        at = datetime.fromtimestamp(self.wall_at, UTC)
        return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "logical_time": self.logical_time,
            "wall_time": self.wall_time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "fault": self.fault,
            "rule": self.rule,
            "duration_ms": round(self.duration_ms, 3),
            "logical_ms": round(self.logical_ms, 3),
        }


class Journal:
    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._lock = threading.Lock()

    def record(
        self,
        *,
        logical_at: datetime,
        method: str,
        path: str,
        query_string: bytes,
        status: int | None,
        fault: str | None,
        rule: int | None,
        duration_ms: float,
        logical_ms: float,
    ) -> None:
        wall_at = time.time()  # for people reading the journal; nothing computes with it
        with self._lock:
            self._entries.append(
                Entry(
                    len(self._entries) + 1,
                    logical_at,
                    wall_at,
                    method,
                    path,
                    query_string,
                    status,
                    fault,
                    rule,
                    duration_ms,
                    logical_ms,
                )
            )

    def entries(self, since: int = 0) -> list[Entry]:
        """Entries with `seq` greater than `since`."""
        with self._lock:
            return self._entries[since:]

    def clear(self) -> None:
        with self._lock:
            self._entries = []

    def __len__(self) -> int:
        return len(self._entries)


def same_requests(a: list[Entry], b: list[Entry]) -> bool:
    """Whether two journals agree on everything the seed and the rules determine."""

    def key(entry: Entry) -> tuple[Any, ...]:
        return tuple(getattr(entry, name) for name in DETERMINED_FIELDS)

    return [key(e) for e in a] == [key(e) for e in b]
