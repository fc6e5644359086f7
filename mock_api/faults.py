"""Deciding, request by request, which fault rule applies.

Each rule keeps its own count of qualifying requests and its own dice, seeded from the
plan's seed and the rule's content (not its position), so adding or moving a rule never
changes when another's dice come up, and the same requests always meet the same faults.
A fault that picks records or a cut point gets dice of its own per application, so
what it picks does not depend on how requests interleave.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from .rules import AwsFault, AwsRule, Fault, FaultPlan, Rule

F = TypeVar("F", Fault, AwsFault)


@dataclass(frozen=True)
class Decision(Generic[F]):
    rule: int  # position in the plan
    fault: F
    rng: random.Random  # for faults that pick records or a cut point: this application's
    until: datetime | None = None  # when the rule's window ends (None: never)


class _RuleState:
    # Flat attributes, not the pydantic model: every request is checked against every
    # rule, so this is the hot path of a run with rules.
    __slots__ = (
        "applied",
        "dice",
        "end",
        "every",
        "fault",
        "first",
        "index",
        "keys",
        "method",
        "nth",
        "path",
        "probability",
        "rng",
        "rule",
        "seen",
        "start",
        "times",
    )

    def __init__(self, index: int, rule: Rule | AwsRule, dice: str, origin: datetime) -> None:
        match = rule.match
        self.index = index
        self.rule = rule
        self.fault = rule.fault
        method, pattern = match.target()
        self.method = method.upper() if method else None
        self.path: re.Pattern[str] | str | None = (
            re.compile(fnmatch.translate(pattern))
            if pattern is not None and any(c in pattern for c in "*?[")
            else pattern
        )
        self.start, self.end = match.window.resolve(origin) if match.window else (None, None)
        self.first = match.first
        self.nth = frozenset(match.nth) if match.nth is not None else None
        self.every = match.every
        self.probability = match.probability
        self.times = match.times
        self.dice = dice
        self.rng = random.Random(dice)
        self.seen = 0
        self.applied = 0
        self.keys: dict[str, int] = {}  # how often each request key qualified

    def qualifies(self, method: str, path: str, now: datetime) -> bool:
        if self.method is not None and method != self.method:
            return False
        if self.path is not None:
            if isinstance(self.path, str):
                if path != self.path:
                    return False
            elif not self.path.match(path):
                return False
        if self.start is not None and now < self.start:
            return False
        return self.end is None or now < self.end

    def counts(self, key: str | None) -> bool:
        """Whether this qualifying request is one the rule picks out (counts it)."""
        self.seen += 1
        if key is not None:
            self.keys[key] = self.keys.get(key, 0) + 1
        n = self.seen
        if self.first is not None and n > self.first:
            return False
        if self.nth is not None and n not in self.nth:
            return False
        if self.every is not None and n % self.every:
            return False
        if self.probability is not None and self.roll(key) >= self.probability:
            return False
        return self.times is None or self.applied < self.times

    def roll(self, key: str | None) -> float:
        if key is None:
            return self.rng.random()
        return random.Random(f"{self.dice}:{key}:{self.keys[key]}").random()


class FaultEngine(Generic[F]):
    """Decides over one list of rules: the API's (`FaultEngine.api`) or the AWS fault
    proxy's (`FaultEngine.aws`)."""

    def __init__(
        self, plan: FaultPlan, seed: int, origin: datetime, rules: Sequence[Rule | AwsRule]
    ) -> None:
        self.plan = plan
        base = plan.seed if plan.seed is not None else seed
        self._rules: list[_RuleState] = []
        twins: dict[str, int] = {}
        for index, rule in enumerate(rules):
            content = rule.model_dump_json()
            twins[content] = twins.get(content, 0) + 1  # identical rules, distinct dice
            dice = f"{base}:{content}:{twins[content]}"
            self._rules.append(_RuleState(index, rule, dice, origin))
        self._lock = threading.Lock()

    @staticmethod
    def api(plan: FaultPlan, seed: int, origin: datetime) -> FaultEngine[Fault]:
        return FaultEngine[Fault](plan, seed, origin, plan.rules)

    @staticmethod
    def aws(plan: FaultPlan, seed: int, origin: datetime) -> FaultEngine[AwsFault]:
        return FaultEngine[AwsFault](plan, seed, origin, plan.aws)

    def decide(
        self, method: str, path: str, now: datetime, key: str | None = None
    ) -> Decision[F] | None:
        """The fault for this request, if any. Every rule the request qualifies for
        counts it (and throws its dice), whether or not an earlier rule wins.

        With a `key` (what the request asks, e.g. a digest of its body), the dice are
        thrown for the key and how often it was seen, not for the arrival order: the
        AWS proxy's clients send batches in parallel, in an order no seed fixes.
        """
        if not self._rules:
            return None
        chosen: _RuleState | None = None
        with self._lock:
            for state in self._rules:
                if state.qualifies(method, path, now) and state.counts(key) and chosen is None:
                    chosen = state
            if chosen is None:
                return None
            chosen.applied += 1
            which = f"{key}:{chosen.keys[key]}" if key is not None else chosen.applied
            application = random.Random(f"{chosen.dice}:applied:{which}")
        return Decision(chosen.index, chosen.fault, application, chosen.end)  # type: ignore[arg-type]

    def stats(self) -> list[dict[str, Any]]:
        return [
            {
                "rule": state.index,
                "name": state.rule.name,
                "fault": state.fault.describe(),
                "qualified": state.seen,
                "applied": state.applied,
            }
            for state in self._rules
        ]
