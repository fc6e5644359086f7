"""Named fault profiles (the YAML files beside this module) and loading rules by name or
from a file."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import yaml

from ..rules import FaultPlan, FaultRuleError, parse_plan
from .random_plan import RANDOM, random_plan

PROFILES = ("none", "flaky", "rate-limited", "outage", "bad-data", "chaos")


def profile_text(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_faults(spec: str, *, seed: int | None = None) -> FaultPlan:
    """A profile name, the path of a YAML/JSON rule file, or (given a seed) `random`: the
    seed's random plan; FaultRuleError otherwise."""
    if spec == RANDOM and seed is not None:
        return random_plan(seed)
    if spec in PROFILES:
        return _parse(profile_text(spec), f"profile {spec!r}")
    path = Path(spec)
    if not path.exists():
        looks_like_file = path.suffix or "/" in spec or "\\" in spec
        if looks_like_file:
            raise FaultRuleError(f"fault rule file {spec!r} does not exist")
        raise FaultRuleError(
            f"unknown fault profile {spec!r}: choose one of {', '.join(PROFILES)}"
            " or give the path of a YAML/JSON rule file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FaultRuleError(f"fault rule file {spec!r} cannot be read: {exc}") from None
    return _parse(text, spec)


def _parse(text: str, source: str) -> FaultPlan:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML or JSON"
        raise FaultRuleError(f"{source}: {problem}{where}") from None
    if document is None:
        raise FaultRuleError(f"{source}: the file is empty; write {json.dumps({'rules': []})}")
    return parse_plan(document, source)
