"""The mock API's dataset: a pure function of the seed and the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_api import Dataset

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=40 * 86400).map(
    lambda s: ORIGIN + timedelta(seconds=s)
)


def test_same_seed_same_data_other_seed_other_data() -> None:
    until = ORIGIN + timedelta(days=5)
    one, again, other = Dataset(seed=1), Dataset(seed=1), Dataset(seed=2)

    assert one.changed_between(None, until) == again.changed_between(None, until)
    assert one.changed_between(None, until) != other.changed_between(None, until)


def test_about_the_configured_number_of_changes_a_day() -> None:
    dataset = Dataset(seed=3, changes_per_day=100)
    counts = [len(dataset.changes_on(day)) for day in range(30)]

    assert all(80 <= n <= 120 for n in counts)


def test_nothing_changes_before_the_origin() -> None:
    assert Dataset().changed_between(None, ORIGIN - timedelta(seconds=1)) == []


def test_windows_are_half_open_and_sorted() -> None:
    dataset = Dataset(seed=4)
    records = dataset.changed_between(ORIGIN, ORIGIN + timedelta(days=3))

    keys = [(r["updatedAt"], r["id"]) for r in records]
    assert keys == sorted(keys)
    assert all("2026-01-01T00:00:00Z" < r["updatedAt"] <= "2026-01-04T00:00:00Z" for r in records)


def test_updates_touch_records_created_earlier() -> None:
    dataset = Dataset(seed=5)
    records = dataset.changed_between(ORIGIN + timedelta(days=10), ORIGIN + timedelta(days=11))

    updated = [r for r in records if r["createdAt"] < r["updatedAt"][:10]]
    assert updated
    assert all(r["createdAt"] < r["updatedAt"] for r in updated)


@settings(max_examples=40, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_adjacent_windows_compose(a: datetime, b: datetime, c: datetime) -> None:
    """Syncing (a, b] then (b, c] leaves the same latest versions as syncing (a, c]."""
    a, b, c = sorted((a, b, c))
    dataset = Dataset(seed=6, changes_per_day=20)
    merged = {r["id"]: r for r in dataset.changed_between(a, b)}
    merged.update({r["id"]: r for r in dataset.changed_between(b, c)})

    assert merged == {r["id"]: r for r in dataset.changed_between(a, c)}


def test_ground_truth_is_the_latest_version_of_every_record() -> None:
    dataset = Dataset(seed=8, changes_per_day=30)
    t = ORIGIN + timedelta(days=6, hours=5)
    state = dataset.state_at(t)

    assert all(record["updatedAt"] <= "2026-01-07T05:00:00Z" for record in state.values())
    later = dataset.changed_between(t, t + timedelta(days=2))
    assert any(record["id"] in state for record in later)
