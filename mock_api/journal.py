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
    logical_ms: float  # logical time the request spent in the API (delays, drips)

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
    """Entries in arrival order. The oldest are dropped past `limit`, so an API left
    running does not grow without end; `seq` keeps counting."""

    def __init__(self, limit: int = 100_000) -> None:
        self._entries: list[Entry] = []
        self._limit = limit
        self._next = 0
        self.dropped = 0
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        with self._lock:
            self._next += 1
            return self._next

    def record(
        self,
        *,
        seq: int,
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
        entry = Entry(
            seq,
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
        with self._lock:
            entries = self._entries
            entries.append(entry)
            # Requests finish out of order only when they overlap (a hang, a delay).
            position = len(entries) - 1
            while position and entries[position - 1].seq > seq:
                entries[position - 1], entries[position] = entries[position], entries[position - 1]
                position -= 1
            if len(entries) > self._limit:
                excess = len(entries) - self._limit
                del entries[:excess]
                self.dropped += excess

    def entries(self, since: int = 0, limit: int | None = None) -> list[Entry]:
        """Entries with `seq` greater than `since`, oldest first, at most `limit`."""
        with self._lock:
            chosen = [e for e in self._entries if e.seq > since] if since else list(self._entries)
        return chosen if limit is None else chosen[:limit]

    def clear(self) -> None:
        with self._lock:
            self._entries = []
            self._next = 0
            self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)


def same_requests(a: list[Entry], b: list[Entry]) -> bool:
    """Whether two journals agree on everything the seed and the rules determine."""

    def key(entry: Entry) -> tuple[Any, ...]:
        return tuple(getattr(entry, name) for name in DETERMINED_FIELDS)

    return [key(e) for e in a] == [key(e) for e in b]
