"""Faults in the records of a page: invalid records, duplicates across pages, page drift,
and poison (records invalid at the source, every time they are served).

They alter copies of a page only; the dataset never changes, so with the faults gone
every window serves what it always did.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime
from typing import Any

from .dataset import Window
from .faults import Decision
from .rules import Fault

# Where a record held back by page drift will show up: the request for the next page,
# by its updated_since, updated_until and cursor as sent.
PageKey = tuple[str | None, str | None, str | None]
MAX_HELD = 10_000

# Ways to spoil a record: drop a required field, or give one a wrong type.
_CORRUPTIONS: tuple[tuple[str, str, Any], ...] = (
    ("drop", "id", None),
    ("drop", "name", None),
    ("drop", "email", None),
    ("drop", "amountCents", None),
    ("drop", "updatedAt", None),
    ("type", "amountCents", "12.50"),
    ("type", "createdAt", 1767225600),
    ("type", "status", ["active"]),
    ("type", "name", None),
)


class DataFaults:
    def __init__(self) -> None:
        self._held: dict[PageKey, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        # `poison` rules' picks: rule -> (the records' ids, when its window ends)
        self._poisoned: dict[int, tuple[frozenset[str], datetime | None]] = {}

    def poisoned(self, now: datetime) -> frozenset[str]:
        """Ids served invalid at `now`: those poison rules picked, until their windows end."""
        if not self._poisoned:
            return frozenset()
        with self._lock:
            live = [ids for ids, until in self._poisoned.values() if until is None or now < until]
        return frozenset().union(*live)

    def arriving(self, key: PageKey) -> list[dict[str, Any]]:
        """Records page drift moved onto the page asked for with `key`. They stay due
        there, so a retried request for that page sees them too."""
        if not self._held:
            return []
        with self._lock:
            return list(self._held.get(key, ()))

    def alter(
        self,
        decision: Decision[Fault] | None,
        window: Window,
        start: int,
        end: int,
        moved_here: list[dict[str, Any]],
        next_page: PageKey,
        now: datetime,
    ) -> list[dict[str, Any]]:
        page = [dict(r) for r in window.records[start:end]]  # copies: the dataset's are shared
        page = [dict(r) for r in moved_here] + page
        if decision is not None and decision.fault.kind == "poison":
            self._pick_poison(decision, page)
        spoiled = self.poisoned(now)
        for record in page:
            if record.get("id") in spoiled:
                _spoil_for_good(record)
        if decision is None:
            return page
        fault, rng = decision.fault, decision.rng
        if fault.kind == "invalid_records":
            for index in rng.sample(range(len(page)), min(fault.records, len(page))):
                how, field, value = rng.choice(_CORRUPTIONS)
                if how == "drop":
                    page[index].pop(field, None)
                else:
                    page[index][field] = value
        elif fault.kind == "duplicate_records":
            # The last records of the previous page again; on a first page, its own.
            earlier = window.records[max(0, start - fault.records) : start]
            again = [dict(r) for r in earlier] or [dict(r) for r in page[: fault.records]]
            page = again + page if earlier else page + again
        elif fault.kind == "page_drift":
            if next_page[2] is None:
                # No page after this one to move to: a record of the previous page
                # drifts onto this one instead (seen twice).
                page = [
                    dict(r) for r in window.records[max(0, start - fault.records) : start]
                ] + page
            else:
                # (A page may end up empty but for its cursor, which clients must follow.)
                picked = set(rng.sample(range(len(page)), min(fault.records, len(page))))
                held = [r for i, r in enumerate(page) if i in picked]
                page = [r for i, r in enumerate(page) if i not in picked]
                with self._lock:
                    if len(self._held) >= MAX_HELD:
                        self._held.clear()
                    self._held.setdefault(next_page, []).extend(held)
        return page

    def _pick_poison(self, decision: Decision[Fault], page: list[dict[str, Any]]) -> None:
        """The rule's first application picks its records, from this page, by its dice."""
        with self._lock:
            if decision.rule in self._poisoned:
                return
            ids = sorted({r["id"] for r in page if isinstance(r.get("id"), str)})
            picked = decision.rng.sample(ids, min(decision.fault.records, len(ids)))
            self._poisoned[decision.rule] = (frozenset(picked), decision.until)


def _spoil_for_good(record: dict[str, Any]) -> None:
    """The same spoiling every time this record is served (its id kept: it is known)."""
    how, field, value = random.Random(f"poison:{record['id']}").choice(_CORRUPTIONS[1:])
    if how == "drop":
        record.pop(field, None)
    else:
        record[field] = value
