"""A run's verdict for the swarm: what broke, and the cause it is grouped under.

A run fails when one of report.json's invariants broke (delivery accounting, and the
user's `--check`), or, for the reference sync (or a copy of it), when the records table
lost or mangled records against the API, or an occurrence was recorded twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..report.truth import recorded_twice

NOTHING_LOST = "records match the API"
NO_DUPLICATES = "each occurrence recorded once"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z?")
_IDENTIFIER = re.compile(
    r"\b[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}\b|\b[0-9a-f]{12,}\b"
)


@dataclass(frozen=True)
class Verdict:
    broken: list[str] = field(default_factory=list)  # invariant names; a check's message
    error: str | None = None  # the run itself could not be done

    @property
    def ok(self) -> bool:
        return not self.broken and self.error is None

    @property
    def cause(self) -> str | None:
        """What failing runs are grouped by, and what a shrunk plan must still break: the
        broken invariants, a check's message with its figures and names blanked."""
        if self.error is not None:
            return "error: " + self.error.split(":", 1)[0]
        return " + ".join(sorted({message_class(b) for b in self.broken})) or None


def message_class(message: str) -> str:
    """`counted 33 runs for 30 occurrences` -> `counted N runs for N occurrences`."""
    blanked = _IDENTIFIER.sub("ID", _TIMESTAMP.sub("T", message))
    blanked = _QUOTED.sub("'…'", blanked)
    return _NUMBER.sub("N", blanked)


def verdict_of(
    report: dict[str, Any], tables: dict[str, list[dict[str, Any]]], sync_table: str | None
) -> Verdict:
    broken = []
    for invariant in report["invariants"]:
        if not invariant["held"]:
            is_check = invariant["name"].startswith("check ")
            broken.append(invariant["detail"] if is_check else invariant["name"])
    truth = report.get("truth")
    if truth is not None:  # the reference sync's own rows: ground truth applies
        if truth["caught_up_to"] is not None and not truth["ok"]:
            broken.append(NOTHING_LOST)
        sync_ids = (fire.get("sync_id") for fire in report["fires"])
        if any(recorded_twice(tables.get(sync_table or "", []), sync_ids)):
            broken.append(NO_DUPLICATES)
    return Verdict(broken)
