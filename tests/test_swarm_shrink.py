"""Shrinking a failing plan (delta debugging), seeds, failure causes, replays, and
what a resumed swarm trusts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import BadInput
from harness.options import RunOptions
from harness.swarm import parse_seeds
from harness.swarm.files import read_done
from harness.swarm.replay import run_arguments, settings_key
from harness.swarm.shrink import (
    Element,
    describe,
    elements_of,
    keep_only,
    plan_document,
    shrink,
)
from harness.swarm.verdict import Verdict, message_class
from mock_api.profiles.random_plan import random_plan
from mock_api.rules import parse_plan

ELEMENTS: list[Element] = [("rules", i) for i in range(6)] + [("aws", 0), ("delivery", "x")]


def _needs(*causes: frozenset[Element]) -> Callable[[list[Element]], bool]:
    """A failure that happens when the plan holds every element of any one cause."""
    return lambda kept: any(cause <= set(kept) for cause in causes)


def test_one_element_is_found_alone() -> None:
    fails = _needs(frozenset({("aws", 0)}))
    shrunk = shrink(ELEMENTS, fails, max_runs=100)
    assert shrunk.minimal == [("aws", 0)] and shrunk.complete


def test_two_elements_that_fail_only_together_are_both_kept() -> None:
    fails = _needs(frozenset({("rules", 1), ("delivery", "x")}))
    shrunk = shrink(ELEMENTS, fails, max_runs=100)
    assert sorted(shrunk.minimal) == [("delivery", "x"), ("rules", 1)]


def test_a_failure_that_needs_no_fault_shrinks_to_the_empty_plan() -> None:
    shrunk = shrink(ELEMENTS, lambda kept: True, max_runs=100)
    assert shrunk.minimal == [] and shrunk.runs == 1


def test_the_bound_on_re_runs_is_kept_and_said() -> None:
    calls = []
    fails = _needs(frozenset({("rules", 4), ("rules", 5)}))
    shrunk = shrink(ELEMENTS, lambda kept: calls.append(kept) or fails(kept), max_runs=3)
    assert len(calls) == 3 and shrunk.runs == 3 and not shrunk.complete
    assert fails(shrunk.minimal)  # what it holds still fails


@settings(max_examples=200, deadline=None)
@given(
    causes=st.lists(
        st.sets(st.sampled_from(ELEMENTS), min_size=1, max_size=3).map(frozenset),
        min_size=1,
        max_size=3,
    )
)
def test_the_result_fails_and_losing_any_one_element_makes_it_pass(
    causes: list[frozenset[Element]],
) -> None:
    fails = _needs(*causes)
    shrunk = shrink(ELEMENTS, fails, max_runs=1000)
    assert shrunk.complete and fails(shrunk.minimal)
    for smaller in combinations(shrunk.minimal, len(shrunk.minimal) - 1):
        assert not fails(list(smaller))


def test_a_plan_keeps_only_the_kept_elements_and_reads_back_as_a_rule_file() -> None:
    plan = next(p for p in map(random_plan, range(1, 100)) if p.delivery and len(p.aws) > 1)
    elements = elements_of(plan)
    assert len(elements) == len(plan.rules) + len(plan.aws) + 1 + (
        plan.delivery.reserved_concurrency is not None
    )
    kept = keep_only(plan, [("aws", 1), ("rules", 0)])
    assert kept.aws == [plan.aws[1]] and kept.rules == [plan.rules[0]]
    assert kept.delivery is None and kept.seed == plan.seed
    assert parse_plan(plan_document(kept)) == kept
    assert parse_plan(plan_document(plan)) == plan
    assert all(describe(plan, e) for e in elements)


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("1-5", [1, 2, 3, 4, 5]), ("7", [7]), ("1-3,9,2-4", [1, 2, 3, 9, 4]), ("0", [0])],
)
def test_seeds_are_ranges_and_lists(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "must look like"),
        ("5-1", "upwards"),
        ("a-b", "is not a seed"),
        ("1-2000000", "at most 1,000,000"),
        ("x" * 2000, "at most 1,000 characters"),
        ("1-99999999999999999999", "is not a seed"),
    ],
)
def test_bad_seeds_say_why(text: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        parse_seeds(text)


def test_a_cause_is_the_message_with_its_figures_and_names_blanked() -> None:
    assert message_class("counted 15 runs for 10 occurrences") == "counted N runs for N occurrences"
    assert message_class("3 timed out, first at 2026-01-06T02:00:01Z in 'x'") == (
        "N timed out, first at T in '…'"
    )
    two = Verdict(["counted 15 runs for 10", "attempts within policy"])
    assert two.cause == "attempts within policy + counted N runs for N"
    assert Verdict(error="KeyError: 'x'").cause == "error: KeyError"
    assert Verdict().ok and Verdict().cause is None


def test_a_replay_starts_where_the_swarm_started_to_the_microsecond() -> None:
    start = datetime(2026, 1, 1, 0, 30, 0, 500_000, tzinfo=timezone(timedelta(hours=5)))
    words = run_arguments(RunOptions(start=start))
    assert datetime.fromisoformat(words[words.index("--start") + 1]) == start
    utc = run_arguments(RunOptions(start=datetime(2026, 3, 1, tzinfo=UTC)))
    assert utc == ["--start", "2026-03-01T00:00:00Z"]


def test_editing_the_code_or_the_fault_file_is_other_settings(tmp_path: Path) -> None:
    code, rules = tmp_path / "src", tmp_path / "faults.yaml"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context): pass\n")
    rules.write_text("rules: []\n")
    options = RunOptions(handler="app.handler", code_dir=code)
    key = settings_key(options, str(rules), 32, tmp_path / "out")
    assert settings_key(options, str(rules), 32, tmp_path / "out") == key
    (code / "app.py").write_text("def handler(event, context): return 1\n")
    assert settings_key(options, str(rules), 32, tmp_path / "out") != key
    key = settings_key(options, str(rules), 32, tmp_path / "out")
    rules.write_text("rules: []\naws: []\n")
    assert settings_key(options, str(rules), 32, tmp_path / "out") != key
    # what the swarm writes inside the code dir, and caches, change nothing
    key = settings_key(options, str(rules), 32, code / "out")
    (code / "out").mkdir()
    (code / "out" / "runs.jsonl").write_text("{}\n")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "app.pyc").write_text("x")
    assert settings_key(options, str(rules), 32, code / "out") == key


def test_runs_jsonl_keeps_whole_lines_of_the_same_settings_only(tmp_path: Path) -> None:
    good = {"seed": 3, "ok": True, "broken": [], "error": None, "cause": None}
    good |= {"replay": "python -m harness run", "settings": "k", "minimal_plan": None}
    lines = [
        json.dumps(good),
        json.dumps({**good, "seed": 4, "ok": None}),  # not of a swarm's shape
        json.dumps({**good, "seed": 5, "ok": False, "cause": "x", "minimal_plan": {"rules": 5}}),
        json.dumps({**good, "seed": True}),
        '{"seed": 6, "ok": tr',  # cut short by a kill
        "[1, 2]",
    ]
    (tmp_path / "runs.jsonl").write_text("\n".join(lines) + "\n")
    assert list(read_done(tmp_path, "k")) == [3]
    with pytest.raises(BadInput, match="other settings"):
        read_done(tmp_path, "another")
