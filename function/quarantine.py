"""Records that stay invalid: counted across runs, then quarantined.

A record that fails validation once may be a bad response (the next fetch of the same
window brings it whole), so a run that meets one keeps the cursor where it was and the
next run asks again. A record that is still invalid, in the same version, after
`QUARANTINE_AFTER` runs is invalid at the source: it is quarantined and the cursor moves
past it, so one poison record cannot hold every later window open.

The ledger is one item of the sync table, `quarantine#<source>`, where an operator
finds what was set aside and why. A later valid version of a quarantined record is
stored as any record is and takes it off the ledger. Records that could not be
written (AWS errors) never get here: their run fails and the next one fetches them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .records import Invalid
from .store import Store

QUARANTINE_AFTER = 3  # runs that met the same version invalid
MAX_ENTRIES = 500  # the ledger stays well inside DynamoDB's 400 KB item
RECORD_CHARS = 300  # of the record as served, kept for the operator


def ledger_key(source: str) -> str:
    return f"quarantine#{source}"


@dataclass
class Ledger:
    source: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def load(cls, store: Store, source: str) -> Ledger:
        item = store.get_sync(ledger_key(source))
        entries = json.loads(item["records"]) if item and item.get("records") else {}
        return cls(source, entries if isinstance(entries, dict) else {})

    def note_invalid(self, invalid: Invalid, raw: Any, sync_id: str) -> bool:
        """Count this run's sighting; True when the record is (now) quarantined."""
        key = invalid.record_id or _anonymous_key(raw)
        version = raw.get("updatedAt") if isinstance(raw, dict) else None
        entry = self.entries.get(key)
        if entry is None or entry.get("updatedAt") != version:
            entry = {"updatedAt": version, "seen": 0, "firstSeen": sync_id}
        if entry.get("lastSeen") != sync_id:  # a run counts once, however often served
            entry["seen"] += 1
        entry.update(
            reason=invalid.reason,
            lastSeen=sync_id,
            record=json.dumps(raw, default=str)[:RECORD_CHARS],
            quarantined=entry["seen"] >= QUARANTINE_AFTER,
        )
        self.entries[key] = entry
        self.changed = True
        return bool(entry["quarantined"])

    def note_valid(self, record_ids: set[str]) -> list[str]:
        """Valid versions arrived: their entries go. Returns the quarantined ones that did."""
        released = [k for k in record_ids & self.entries.keys() if self.entries[k]["quarantined"]]
        for key in record_ids & self.entries.keys():
            del self.entries[key]
            self.changed = True
        return released

    def quarantined(self) -> list[str]:
        return sorted(k for k, e in self.entries.items() if e.get("quarantined"))

    def save(self, store: Store) -> None:
        if not self.changed:
            return
        if len(self.entries) > MAX_ENTRIES:  # the oldest sightings go first
            kept = sorted(self.entries.items(), key=lambda kv: str(kv[1].get("lastSeen")))
            self.entries = dict(kept[-MAX_ENTRIES:])
        store.put_sync(
            {
                "syncId": ledger_key(self.source),
                "source": self.source,
                "quarantined": len(self.quarantined()),
                "records": json.dumps(self.entries, sort_keys=True),
            }
        )
        self.changed = False


def _anonymous_key(raw: Any) -> str:
    """A record with no usable id, known by its content."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return f"no-id:{digest[:16]}"
