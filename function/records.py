"""Validation of records from the external API and their DynamoDB item form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .clock import iso, parse_iso

# Field name -> required Python type. bool is rejected where int is expected.
REQUIRED_FIELDS: dict[str, type] = {
    "id": str,
    "name": str,
    "email": str,
    "amountCents": int,
    "category": str,
    "status": str,
    "createdAt": str,
    "updatedAt": str,
}


@dataclass(frozen=True)
class Invalid:
    record_id: str | None
    reason: str


def validate(raw: Any) -> dict[str, Any] | Invalid:
    """The record in canonical form, or why it cannot be stored."""
    if not isinstance(raw, dict):
        return Invalid(None, f"record is a {type(raw).__name__}, not an object")
    record_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    for field, expected in REQUIRED_FIELDS.items():
        value = raw.get(field)
        if value is None:
            return Invalid(record_id, f"missing field {field}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            actual = type(value).__name__
            return Invalid(record_id, f"field {field} is {actual}, not {expected.__name__}")
    if not raw["id"].strip():
        return Invalid(None, "field id is empty")
    clean = {field: raw[field] for field in REQUIRED_FIELDS}
    for field in ("createdAt", "updatedAt"):
        try:
            clean[field] = iso(parse_iso(raw[field]))
        except ValueError:
            return Invalid(record_id, f"field {field} is not an ISO 8601 instant")
    return clean


def latest_per_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per id, the most recently updated; BatchWriteItem rejects repeated keys."""
    newest: dict[str, dict[str, Any]] = {}
    for record in records:
        held = newest.get(record["id"])
        if held is None or record["updatedAt"] >= held["updatedAt"]:
            newest[record["id"]] = record
    return list(newest.values())


def iso_week(instant: str) -> str:
    """`2026-03-04T02:00:00Z` -> `2026-W10`: the retention index's partition key."""
    year, week, _ = date.fromisoformat(instant[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def to_item(
    record: dict[str, Any], sync_id: str, synced_at: str, cutoff: str, now: str
) -> dict[str, Any]:
    """The stored item. Retention follows the seed: a record created before `cutoff`
    is archived. An active one carries `activeWeek` (the ISO week of its creation,
    `2026-W09`), which files it in that week's partition of the sparse retention index;
    a record already past retention when it arrives is stored archived, at `now`."""
    item = {**record, "syncId": sync_id, "syncedAt": synced_at}
    if record["createdAt"] < cutoff:
        item.update(isActive=False, archivedAt=now)
    else:
        item.update(isActive=True, activeWeek=iso_week(record["createdAt"]))
    return item
