"""A deterministic dataset of records that change over logical time.

Every day after `origin` some records are created and some earlier ones updated; what
happens on a day is a pure function of (seed, origin, day), so any window of changes,
and the ground truth a test compares a table with, can be recomputed at will.
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

DAY = timedelta(days=1)
CATEGORIES = ("retail", "wholesale", "online", "partner", "internal")
STATUSES = ("active", "pending", "suspended", "closed")
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Perlman")
UPDATE_LOOKBACK_DAYS = 180


@dataclass(frozen=True, order=True)
class Change:
    at: datetime
    record_id: str
    created_at: datetime = field(compare=False)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Dataset:
    seed: int = 1
    origin: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    changes_per_day: int = 100

    def __post_init__(self) -> None:
        if self.origin.tzinfo is None:
            raise ValueError("origin must be timezone-aware")
        if self.changes_per_day < 1:
            raise ValueError("changes_per_day must be at least 1")

    # -- the generative model ------------------------------------------------------
    def _day_start(self, day: int) -> datetime:
        return self.origin + day * DAY

    def _counts(self, day: int) -> tuple[int, int]:
        """(records created, records updated) on `day`."""
        rng = random.Random(f"{self.seed}:counts:{day}")
        total = rng.randint(self.changes_per_day * 4 // 5, self.changes_per_day * 6 // 5)
        updates = 0 if day == 0 else total * rng.randint(25, 45) // 100
        return total - updates, updates

    def _creation_time(self, day: int, index: int) -> datetime:
        offset = random.Random(f"{self.seed}:created:{day}:{index}").randrange(86400)
        return self._day_start(day) + timedelta(seconds=offset)

    def changes_on(self, day: int) -> tuple[Change, ...]:
        return _changes_on(self, day)

    def _generate_day(self, day: int) -> tuple[Change, ...]:
        if day < 0:
            return ()
        created, updated = self._counts(day)
        changes = []
        for index in range(created):
            at = self._creation_time(day, index)
            changes.append(Change(at, record_id(day, index), at))
        rng = random.Random(f"{self.seed}:updates:{day}")
        start = self._day_start(day)
        for _ in range(updated):
            born = rng.randint(max(0, day - UPDATE_LOOKBACK_DAYS), day - 1)
            index = rng.randrange(self._counts(born)[0])
            at = start + timedelta(seconds=rng.randrange(86400))
            changes.append(Change(at, record_id(born, index), self._creation_time(born, index)))
        return tuple(sorted(changes))

    def record(self, change: Change) -> dict[str, Any]:
        """The record's content as of `change`: a pure function of the seed and change.
        (Cached: callers get a shared dict and must not change it.)"""
        return _record(self, change)

    def _generate_record(self, change: Change) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{change.record_id}:{_iso(change.at)}")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        return {
            "id": change.record_id,
            "name": f"{first} {last}",
            "email": f"{first}.{last}{rng.randrange(1000)}@example.com".lower(),
            "amountCents": rng.randrange(100, 5_000_000),
            "category": rng.choice(CATEGORIES),
            "status": rng.choice(STATUSES),
            "createdAt": _iso(change.created_at),
            "updatedAt": _iso(change.at),
        }

    # -- queries -------------------------------------------------------------------
    def window(self, since: datetime | None, until: datetime) -> Window:
        """The records changed in (since, until], ready to page through. (Cached: a
        client pages through one window with many requests.)"""
        return _window(self, since, until)

    def _build_window(self, since: datetime | None, until: datetime) -> Window:
        latest: dict[str, Change] = {}
        for day in self._days_touching(since, until):
            for change in self.changes_on(day):
                if (since is None or change.at > since) and change.at <= until:
                    latest[change.record_id] = change
        changes = sorted(latest.values())
        return Window(
            records=tuple(_record(self, c) for c in changes),
            keys=tuple((_iso(c.at), c.record_id) for c in changes),
            blobs=tuple(_record_json(self, c) for c in changes),
        )

    def estimated_changes(self, since: datetime | None, until: datetime) -> int:
        """An upper bound on the changes in (since, until], without building them."""
        return len(self._days_touching(since, until)) * (self.changes_per_day * 6 // 5 + 1)

    def _days_touching(self, since: datetime | None, until: datetime) -> range:
        first = 0 if since is None else max(0, (since - self.origin) // DAY)
        last = (until - self.origin) // DAY
        return range(first, last + 1)

    def changed_between(self, since: datetime | None, until: datetime) -> list[dict[str, Any]]:
        """Records changed in (since, until], each as of its last change in the window,
        sorted by (updatedAt, id)."""
        return list(self.window(since, until).records)

    def version(self, record_id: str, updated_at: datetime) -> dict[str, Any] | None:
        """The record as the API served it when last changed at `updated_at`, or None if
        it never changed then (a version nobody served)."""
        day = (updated_at - self.origin) // DAY
        for change in self.changes_on(day):
            if change.at == updated_at and change.record_id == record_id:
                return self.record(change)
        return None

    def state_at(self, t: datetime) -> dict[str, dict[str, Any]]:
        """Ground truth: every record that exists at `t`, as of its last change."""
        return {record["id"]: record for record in self.changed_between(None, t)}


@dataclass(frozen=True)
class Window:
    """Records of a window in (updatedAt, id) order, their keys for keyset pagination,
    and each record already serialised as JSON (a page is a join of these)."""

    records: tuple[dict[str, Any], ...]
    keys: tuple[tuple[str, str], ...]
    blobs: tuple[bytes, ...]

    def after(self, key: tuple[str, str] | None) -> int:
        """Index of the first record past `key` (a cursor's position)."""
        return 0 if key is None else bisect.bisect_right(self.keys, key)


def dumps(value: Any) -> bytes:
    """Compact JSON, as the API sends it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def record_id(day: int, index: int) -> str:
    return f"rec-{day:05d}-{index:04d}"


@lru_cache(maxsize=4096)
def _changes_on(dataset: Dataset, day: int) -> tuple[Change, ...]:
    return dataset._generate_day(day)


@lru_cache(maxsize=262_144)
def _record(dataset: Dataset, change: Change) -> dict[str, Any]:
    return dataset._generate_record(change)


@lru_cache(maxsize=262_144)
def _record_json(dataset: Dataset, change: Change) -> bytes:
    return dumps(_record(dataset, change))


@lru_cache(maxsize=64)
def _window(dataset: Dataset, since: datetime | None, until: datetime) -> Window:
    return dataset._build_window(since, until)
