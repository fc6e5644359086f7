"""The records table against the mock API's ground truth.

The function moves its cursor only after a fully successful sync, so the table must
hold every record as of the last such sync's window end, at that version or a newer
one a later run fetched, each exactly as the API served it: nothing lost, nothing
corrupted, nothing invented. Faults can delay a record, never excuse its loss.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_api import Dataset

from ..clock import iso_z

FIELDS = ("id", "name", "email", "amountCents", "category", "status", "createdAt", "updatedAt")
SHOWN = 5


@dataclass
class TruthCheck:
    caught_up_to: datetime | None  # window end of the last fully successful sync
    checked: int = 0
    missing: list[str] = field(default_factory=list)  # absent, though the cursor passed them
    stale: list[str] = field(default_factory=list)  # older than the cursor's version
    corrupted: list[str] = field(default_factory=list)  # a version the API never served
    unexpected: list[str] = field(default_factory=list)  # ids the API never had
    quarantined: list[str] = field(default_factory=list)  # set aside: invalid at the source

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.corrupted or self.unexpected)

    def describe(self) -> str:
        if self.caught_up_to is None:
            return "no fully successful sync: nothing to compare"
        at = iso_z(self.caught_up_to)
        aside = f" ({len(self.quarantined)} quarantined)" if self.quarantined else ""
        if self.ok:
            return f"{self.checked} records match the API as of {at}{aside}"
        problems = []
        for name in ("missing", "stale", "corrupted", "unexpected"):
            ids: list[str] = getattr(self, name)
            if ids:
                more = f" +{len(ids) - SHOWN}" if len(ids) > SHOWN else ""
                problems.append(f"{len(ids)} {name} ({', '.join(ids[:SHOWN])}{more})")
        return f"against the API as of {at}: " + "; ".join(problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "caught_up_to": iso_z(self.caught_up_to) if self.caught_up_to else None,
            "checked": self.checked,
            "missing": self.missing,
            "stale": self.stale,
            "corrupted": self.corrupted,
            "unexpected": self.unexpected,
            "quarantined": self.quarantined,
        }


def check_records(
    dataset: Dataset, records: list[dict[str, Any]], syncs: list[dict[str, Any]], end: datetime
) -> TruthCheck:
    succeeded = [s["windowTo"] for s in syncs if s.get("status") == "success" and "windowTo" in s]
    if not succeeded:
        return TruthCheck(caught_up_to=None)
    caught_up = _instant(max(succeeded))
    truth = dataset.state_at(caught_up)
    stored = {str(item.get("id")): item for item in records}
    aside = {entry["id"] for entry in quarantine_of(syncs)}
    check = TruthCheck(caught_up_to=caught_up, checked=len(truth), quarantined=sorted(aside))
    for record_id, expected in truth.items():
        if record_id in aside:  # the API serves it invalid: the function set it aside
            continue
        item = stored.get(record_id)
        if item is None:
            check.missing.append(record_id)
        elif str(item.get("updatedAt", "")) < expected["updatedAt"]:
            check.stale.append(record_id)
    known = dataset.state_at(end)
    for record_id, item in stored.items():
        if record_id not in known:
            check.unexpected.append(record_id)
            continue
        served = _served_version(dataset, record_id, item)
        if served is None or any(item.get(f) != served[f] for f in FIELDS):
            check.corrupted.append(record_id)
    return check


def quarantine_of(syncs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records our function quarantined (its ledger in the sync table), by id."""
    entries: dict[str, Any] = {}
    for item in syncs:
        if str(item.get("syncId", "")).startswith("quarantine#"):
            try:
                entries.update(json.loads(str(item.get("records") or "{}")))
            except ValueError:
                continue
    return [
        {"id": record_id, **{k: v for k, v in entry.items() if k != "quarantined"}}
        for record_id, entry in sorted(entries.items())
        if isinstance(entry, dict) and entry.get("quarantined")
    ]


def _served_version(dataset: Dataset, record_id: str, item: dict[str, Any]) -> Any:
    try:
        updated_at = _instant(str(item["updatedAt"]))
    except (KeyError, ValueError):
        return None
    return dataset.version(record_id, updated_at)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def truth_of(
    dataset: Dataset,
    tables: dict[str, list[dict[str, Any]]],
    records_table: str,
    sync_table: str,
    end: datetime,
) -> dict[str, Any] | None:
    """The ground truth check for report.json. It is our function's: a template without
    its two tables has none."""
    if records_table not in tables or sync_table not in tables:
        return None
    return check_records(dataset, tables[records_table], tables[sync_table], end).to_dict()


def quarantine_in(tables: dict[str, list[dict[str, Any]]], sync_table: str) -> list[dict[str, Any]]:
    """report.json's `quarantine`: what our function set aside, from its sync table."""
    return quarantine_of(tables.get(sync_table, []))


def recorded_twice(
    sync_rows: Iterable[dict[str, Any]], sync_ids: Iterable[str | None], by: str = "scheduledTime"
) -> tuple[dict[str, int], list[str]]:
    """Occurrences the sync table holds more than once (by `by`; lease items skipped),
    and sync ids more than one occurrence reported: a duplicate delivery done twice."""
    rows = Counter(
        str(row[by])
        for row in sync_rows
        if by in row and not str(row.get("syncId", "")).startswith("lease#")
    )
    ids = Counter(sync_id for sync_id in sync_ids if sync_id)
    return {v: n for v, n in rows.items() if n > 1}, [i for i, n in ids.items() if n > 1]
