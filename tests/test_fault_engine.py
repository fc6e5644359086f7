"""Which request meets which fault: counting, dice, windows and precedence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mock_api import Journal, parse_plan
from mock_api.faults import FaultEngine

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def engine(*rules: dict[str, Any], seed: int = 1) -> FaultEngine:
    return FaultEngine.api(parse_plan({"rules": list(rules)}), seed=seed, origin=ORIGIN)


def applied(
    faults: FaultEngine, requests: int, path: str = "/records", at: datetime = ORIGIN
) -> list[int]:
    """1-based numbers of the requests a fault applied to."""
    return [n for n in range(1, requests + 1) if faults.decide("GET", path, at)]


def test_first_nth_and_every_count_the_requests_a_rule_sees() -> None:
    assert applied(engine({"match": {"first": 3}, "fault": {"status": 503}}), 6) == [1, 2, 3]
    assert applied(engine({"match": {"nth": [2, 5]}, "fault": {"status": 503}}), 6) == [2, 5]
    assert applied(engine({"match": {"every": 3}, "fault": {"status": 503}}), 9) == [3, 6, 9]


def test_times_caps_how_often_a_rule_applies() -> None:
    faults = engine({"match": {"every": 2, "times": 2}, "fault": {"status": 503}})

    assert applied(faults, 10) == [2, 4]


def test_method_and_path_glob_pick_the_requests_a_rule_sees() -> None:
    faults = engine({"match": {"method": "post", "path": "/rec*"}, "fault": {"status": 500}})

    assert faults.decide("GET", "/records", ORIGIN) is None
    assert faults.decide("POST", "/other", ORIGIN) is None
    assert faults.decide("POST", "/records", ORIGIN) is not None


def test_a_window_is_logical_time_from_inclusive_to_exclusive() -> None:
    faults = engine({"match": {"window": {"from": "12d", "to": "14d"}}, "fault": {"status": 503}})
    day = timedelta(days=1)

    assert faults.decide("GET", "/records", ORIGIN + 12 * day - timedelta(seconds=1)) is None
    assert faults.decide("GET", "/records", ORIGIN + 12 * day) is not None
    assert faults.decide("GET", "/records", ORIGIN + 13 * day + timedelta(hours=23)) is not None
    assert faults.decide("GET", "/records", ORIGIN + 14 * day) is None


def test_first_within_a_window_counts_from_the_window_start() -> None:
    # "Fail the first three requests of the 02:00 run on day 12."
    faults = engine(
        {
            "match": {"first": 3, "window": {"from": "11d 2h", "to": "11d 3h"}},
            "fault": {"status": 503},
        }
    )
    run_day_11 = ORIGIN + timedelta(days=10, hours=2)
    run_day_12 = ORIGIN + timedelta(days=11, hours=2)

    assert applied(faults, 4, at=run_day_11) == []
    assert applied(faults, 5, at=run_day_12) == [1, 2, 3]


def test_the_dice_are_seeded() -> None:
    rule = {"match": {"probability": 0.3}, "fault": {"status": 503}}

    first = applied(engine(rule, seed=4), 400)
    again = applied(engine(rule, seed=4), 400)
    other = applied(engine(rule, seed=5), 400)

    assert first == again
    assert first != other
    assert 80 <= len(first) <= 160  # about 30 % of 400


def test_a_plan_seed_overrides_the_api_seed() -> None:
    plan = {"seed": 9, "rules": [{"match": {"probability": 0.5}, "fault": {"status": 503}}]}
    a = FaultEngine.api(parse_plan(plan), seed=1, origin=ORIGIN)
    b = FaultEngine.api(parse_plan(plan), seed=2, origin=ORIGIN)

    assert applied(a, 50) == applied(b, 50)


def test_the_first_matching_rule_applies_and_every_rule_keeps_counting() -> None:
    faults = engine(
        {"match": {"first": 2}, "fault": {"status": 503}},
        {"match": {"nth": [2, 3]}, "fault": {"status": 429}},
    )

    statuses = [
        d.fault.status if (d := faults.decide("GET", "/records", ORIGIN)) else None
        for _ in range(4)
    ]

    # The second rule's 2nd request went to the first rule; its 3rd is still the 3rd.
    assert statuses == [503, 503, 429, None]


def test_adding_or_moving_rules_does_not_move_another_rules_dice() -> None:
    dice = {"match": {"probability": 0.4}, "fault": {"status": 500}}
    never = {"match": {"probability": 0.0}, "fault": {"status": 502}}  # sees all, applies none

    def hits(*rules: dict[str, Any]) -> list[int]:
        faults = engine(*rules)
        return [
            n
            for n in range(1, 200)
            if (d := faults.decide("GET", "/records", ORIGIN)) and d.fault.status == 500
        ]

    alone = hits(dice)
    assert alone == hits(never, dice) == hits(dice, never)
    assert hits(dice, dice) != hits(dice)  # a twin rule throws dice of its own


def test_what_a_fault_picks_depends_on_its_application_not_on_timing() -> None:
    rule = {"match": {"every": 2}, "fault": {"kind": "invalid_records"}}
    a, b = engine(rule), engine(rule)

    def picks(faults: FaultEngine) -> list[float]:
        decisions = [faults.decide("GET", "/records", ORIGIN) for _ in range(6)]
        return [d.rng.random() for d in decisions if d]

    assert picks(a) == picks(b)
    assert len(set(picks(engine(rule)))) == 3


def test_stats_say_what_qualified_and_what_applied() -> None:
    faults = engine({"name": "burst", "match": {"first": 2}, "fault": {"status": 503}})
    applied(faults, 5)

    assert faults.stats() == [
        {"rule": 0, "name": "burst", "fault": "503", "qualified": 5, "applied": 2}
    ]


def test_the_journal_numbers_requests_on_arrival_and_keeps_the_newest() -> None:
    journal = Journal(limit=3)
    first, second = journal.next_seq(), journal.next_seq()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "logical_at": at,
        "method": "GET",
        "path": "/records",
        "query_string": b"",
        "status": 200,
        "fault": None,
        "rule": None,
        "duration_ms": 1.0,
        "logical_ms": 0.0,
    }
    journal.record(seq=second, **fields)  # the second request finished first
    journal.record(seq=first, **fields)
    assert [e.seq for e in journal.entries()] == [1, 2]
    for _ in range(3):
        journal.record(seq=journal.next_seq(), **fields)

    assert [e.seq for e in journal.entries()] == [3, 4, 5]
    assert journal.dropped == 2
    assert [e.seq for e in journal.entries(since=3, limit=1)] == [4]
