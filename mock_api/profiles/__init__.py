"""Named fault profiles (the YAML files beside this module) and loading rules by name or
from a file."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import yaml

from ..documents import DocumentError, check_yaml, yaml_problem
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
    shown = spec if len(spec) <= 80 else spec[:77] + "..."
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        exists = False
    if not exists:
        looks_like_file = path.suffix or "/" in spec or "\\" in spec
        if looks_like_file:
            raise FaultRuleError(f"fault rule file {shown!r} does not exist")
        raise FaultRuleError(
            f"unknown fault profile {shown!r}: choose one of {', '.join(PROFILES)}"
            " or give the path of a YAML/JSON rule file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FaultRuleError(f"fault rule file {shown!r} cannot be read: {exc}") from None
    return _parse(text, spec)


MAX_RULE_FILE_BYTES = 1_000_000


def _parse(text: str, source: str) -> FaultPlan:
    try:
        check_yaml(text, source, max_bytes=MAX_RULE_FILE_BYTES)
        document = yaml.safe_load(text)
    except DocumentError as exc:
        raise FaultRuleError(str(exc)) from None
    except yaml.YAMLError as exc:
        raise FaultRuleError(f"{source}: {yaml_problem(exc)}") from None
    if document is None:
        raise FaultRuleError(f"{source}: the file is empty; write {json.dumps({'rules': []})}")
    return parse_plan(document, source)
