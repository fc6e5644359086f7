"""Record validation and the stored item's shape."""

from __future__ import annotations

from typing import Any

import pytest

from function.records import Invalid, iso_week, latest_per_id, to_item, validate

GOOD: dict[str, Any] = {
    "id": "rec-1",
    "name": "Ada",
    "email": "ada@example.com",
    "amountCents": 100,
    "category": "retail",
    "status": "active",
    "createdAt": "2026-01-01T00:00:00Z",
    "updatedAt": "2026-01-02T00:00:00+00:00",
}


def test_a_good_record_is_kept_in_canonical_form() -> None:
    checked = validate({**GOOD, "extra": "dropped"})

    assert isinstance(checked, dict)
    assert checked["updatedAt"] == "2026-01-02T00:00:00Z"
    assert "extra" not in checked


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"email": None}, "missing field email"),
        ({"amountCents": "100"}, "amountCents is str"),
        ({"amountCents": True}, "amountCents is bool"),
        ({"amountCents": 1.5}, "amountCents is float"),
        ({"updatedAt": "tuesday"}, "updatedAt is not an ISO 8601"),
        ({"id": "  "}, "id is empty"),
    ],
)
def test_a_bad_record_is_rejected_with_a_reason(change: dict[str, Any], reason: str) -> None:
    checked = validate({**GOOD, **change})

    assert isinstance(checked, Invalid)
    assert reason in checked.reason


def test_a_non_object_is_rejected() -> None:
    assert isinstance(validate(["rec-1"]), Invalid)


def test_latest_version_of_each_id_wins() -> None:
    old = {**GOOD, "updatedAt": "2026-01-01T00:00:00Z", "name": "old"}
    new = {**GOOD, "updatedAt": "2026-01-03T00:00:00Z", "name": "new"}

    assert latest_per_id([new, old]) == [new]
    assert latest_per_id([old, new]) == [new]


def test_an_item_created_before_the_cutoff_is_stored_archived_as_of_now() -> None:
    cutoff = "2026-01-05T00:00:00Z"
    recent_update = GOOD | {
        "createdAt": "2026-01-02T00:00:00Z",
        "updatedAt": "2026-03-30T00:00:00Z",
    }
    item = to_item(recent_update, "s", "2026-04-01T00:00:00Z", cutoff, "2026-04-01T00:00:07Z")

    assert item["isActive"] is False  # the seed's rule: by creation, whatever the update
    assert item["archivedAt"] == "2026-04-01T00:00:07Z"
    assert "activeWeek" not in item


def test_an_active_item_is_filed_under_the_iso_week_of_its_creation() -> None:
    record = GOOD | {"createdAt": "2026-01-09T23:59:59Z", "updatedAt": "2026-02-09T00:00:00Z"}
    item = to_item(record, "s", "x", "2026-01-05T00:00:00Z", "now")

    assert item["isActive"] is True
    assert item["activeWeek"] == "2026-W02"
    assert iso_week("2027-01-01T00:00:00Z") == "2026-W53"
