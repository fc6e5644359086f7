"""The quarantine ledger: a record invalid in the same version on three runs is set
aside; a retry of a run counts once; a new version starts the count again; a valid
version takes it off the ledger."""

from __future__ import annotations

from typing import Any

from function.quarantine import QUARANTINE_AFTER, Ledger, ledger_key
from function.records import Invalid


class _Store:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def get_sync(self, sync_id: str) -> dict[str, Any] | None:
        return self.items.get(sync_id)

    def put_sync(self, item: dict[str, Any]) -> None:
        self.items[item["syncId"]] = item


RAW = {"id": "rec-1", "updatedAt": "2026-01-02T00:00:00Z", "amountCents": "12.50"}
BAD = Invalid("rec-1", "field amountCents is str, not int")


def _sightings(store: _Store, raw: dict[str, Any], runs: list[str]) -> list[bool]:
    seen = []
    for sync_id in runs:
        ledger = Ledger.load(store, "api")  # type: ignore[arg-type]
        seen.append(ledger.note_invalid(BAD, raw, sync_id))
        ledger.save(store)  # type: ignore[arg-type]
    return seen


def test_three_runs_quarantine_a_record_and_a_retried_run_counts_once() -> None:
    store = _Store()

    assert _sightings(store, RAW, ["s1", "s1", "s2", "s3"]) == [False, False, False, True]
    assert QUARANTINE_AFTER == 3
    assert store.items[ledger_key("api")]["quarantined"] == 1


def test_a_new_version_counts_afresh_and_a_valid_one_releases_it() -> None:
    store = _Store()
    _sightings(store, RAW, ["s1", "s2", "s3"])
    newer = {**RAW, "updatedAt": "2026-01-05T00:00:00Z"}

    assert _sightings(store, newer, ["s4"]) == [False]
    ledger = Ledger.load(store, "api")  # type: ignore[arg-type]
    assert ledger.note_valid({"rec-1", "rec-2"}) == []  # pending, not quarantined: just goes
    ledger.save(store)  # type: ignore[arg-type]
    assert Ledger.load(store, "api").entries == {}  # type: ignore[arg-type]


def test_a_record_without_an_id_is_known_by_its_content() -> None:
    store = _Store()
    anonymous = {"name": "Ada", "updatedAt": "2026-01-02T00:00:00Z"}
    no_id = Invalid(None, "missing field id")
    ledger = Ledger.load(store, "api")  # type: ignore[arg-type]
    for sync_id in ("s1", "s2", "s3"):
        quarantined = ledger.note_invalid(no_id, anonymous, sync_id)

    assert quarantined and ledger.quarantined()[0].startswith("no-id:")
