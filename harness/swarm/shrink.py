"""Shrinking a failing fault plan to the elements its failure needs.

A plan's elements are its API rules, its AWS rules and its delivery settings (duplicate
rate, hand-off error rate, reserved concurrency). `shrink` is Zeller's delta debugging
(ddmin): it tries halves, then complements, then finer splits, and ends when no single
element can be taken away without the failure going away (1-minimal), or when the bound
on re-runs is spent (then the plan it holds still fails, but may not be minimal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mock_api import FaultPlan
from mock_api.rules import DeliveryFaults, Window, parse_plan

from ..clock import iso_z

# The delivery settings a plan may carry, and the value that means "not set".
DELIVERY_SETTINGS: dict[str, Any] = {
    "duplicate_rate": 0.0,
    "handoff_error_rate": 0.0,
    "reserved_concurrency": None,
}

Element = tuple[str, int | str]  # ("rules", 2), ("aws", 0), ("delivery", "duplicate_rate")


def elements_of(plan: FaultPlan) -> list[Element]:
    found: list[Element] = [("rules", i) for i in range(len(plan.rules))]
    found += [("aws", i) for i in range(len(plan.aws))]
    if plan.delivery is not None:
        found += [
            ("delivery", name)
            for name, unset in DELIVERY_SETTINGS.items()
            if getattr(plan.delivery, name) != unset
        ]
    return found


def keep_only(plan: FaultPlan, kept: Sequence[Element]) -> FaultPlan:
    """`plan` with only the `kept` elements (and its dice seed)."""
    chosen = set(kept)
    settings = {
        name: getattr(plan.delivery, name)
        for name in DELIVERY_SETTINGS
        if plan.delivery is not None and ("delivery", name) in chosen
    }
    return FaultPlan(
        rules=[rule for i, rule in enumerate(plan.rules) if ("rules", i) in chosen],
        aws=[rule for i, rule in enumerate(plan.aws) if ("aws", i) in chosen],
        delivery=DeliveryFaults(**settings) if settings else None,
        seed=plan.seed,
    )


def plan_document(plan: FaultPlan) -> dict[str, Any]:
    """The plan as `--faults FILE` reads it back (only what differs from the defaults)."""
    return plan.model_dump(mode="json", exclude_defaults=True, by_alias=True)


def describe(plan: FaultPlan, element: Element) -> str:
    """One element in a few words: `API 429 (p=0.17)`, `AWS BatchWriteItem 3 unprocessed`."""
    kind, key = element
    if kind == "delivery":
        return f"{key} {getattr(plan.delivery, str(key))}"
    rule = plan.rules[int(key)] if kind == "rules" else plan.aws[int(key)]
    where = "API" if kind == "rules" else "AWS"
    match = rule.match
    operation = getattr(match, "operation", None)
    scope = f" {operation}" if operation and operation != "*" else ""
    p = match.probability
    odds = f" (p={p:g})" if p is not None and p < 1 else ""
    window = _window(match.window) if match.window is not None else ""
    headers = getattr(rule.fault, "headers", None) or {}
    said = "".join(f" {name}: {value}" for name, value in headers.items())
    return f"{where}{scope} {rule.fault.describe()}{said}{odds}{window}"


def _window(window: Window) -> str:
    def at(value: datetime | timedelta | None) -> str:
        if isinstance(value, timedelta):
            return f"day {value / timedelta(days=1):g}"
        return iso_z(value) if value is not None else "..."

    return f" from {at(window.start)} to {at(window.end)}"


def described(document: dict[str, Any] | None) -> list[str]:
    """A plan document's elements in a few words each (none: no fault at all)."""
    if document is None:
        return []
    plan = parse_plan(document, "minimal plan")
    return [describe(plan, element) for element in elements_of(plan)] or ["no fault at all"]


@dataclass(frozen=True)
class Shrunk:
    minimal: list[Element]
    runs: int  # re-runs spent (the failing run that found the plan not counted)
    complete: bool  # False: the bound on re-runs stopped shrinking short


class _OutOfRuns(Exception):
    pass


def shrink(
    elements: Sequence[Element], fails: Callable[[list[Element]], bool], max_runs: int
) -> Shrunk:
    """The smallest subset of `elements` ddmin reaches on which `fails` holds; `fails`
    must hold on all of them (the plan as found)."""
    results: dict[frozenset[Element], bool] = {frozenset(elements): True}
    runs = 0

    def test(subset: list[Element]) -> bool:
        nonlocal runs
        key = frozenset(subset)
        if key not in results:
            if runs >= max_runs:
                raise _OutOfRuns
            runs += 1
            results[key] = fails(subset)
        return results[key]

    current = list(elements)
    try:
        if current and test([]):  # the failure needs no fault at all
            return Shrunk([], runs, True)
        granularity = 2
        while len(current) >= 2:
            chunks = _split(current, granularity)
            smaller = next((c for c in chunks if test(c)), None)
            if smaller is not None:
                current, granularity = smaller, 2
                continue
            if granularity > 2:  # with two chunks, each complement is the other chunk
                rest = next(
                    (
                        complement
                        for i in range(len(chunks))
                        if test(
                            complement := [e for j, c in enumerate(chunks) if j != i for e in c]
                        )
                    ),
                    None,
                )
                if rest is not None:
                    current, granularity = rest, max(granularity - 1, 2)
                    continue
            if granularity >= len(current):
                break
            granularity = min(len(current), granularity * 2)
    except _OutOfRuns:
        return Shrunk(current, runs, False)
    return Shrunk(current, runs, True)


def _split(items: list[Element], parts: int) -> list[list[Element]]:
    size, extra = divmod(len(items), parts)
    chunks, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        chunks.append(items[start:end])
        start = end
    return [c for c in chunks if c]
