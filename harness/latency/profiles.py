"""`--latency PROFILE|FILE`: the named profiles and profile files.

`default` is `default.yaml` beside this module, with its sources; `none` charges
nothing (work takes no virtual time unless the handler sleeps). A file is YAML or JSON
in the same shape, and `extends: default` starts it from the default profile.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mock_api.documents import DocumentError, check_yaml, yaml_problem

from ..errors import BadInput
from .base import NONE, Distribution, LatencyModel

PROFILES = ("default", "none")
MAX_FILE_BYTES = 64 * 1024
MAX_AWS_ENTRIES = 500
MAX_MS = 900_000.0  # Lambda's longest timeout: no single piece of work can take longer
MIN_MS = 0.001  # a microsecond, the virtual clock's tick
_AWS_KEY = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}:(\*|[A-Za-z][A-Za-z0-9]{0,127}))$")


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p50_ms: float = Field(ge=0, le=MAX_MS, allow_inf_nan=False)
    p99_ms: float = Field(ge=0, le=MAX_MS, allow_inf_nan=False)

    @field_validator("p50_ms", "p99_ms", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):  # YAML's `yes` and `true` are not 1 ms
            raise ValueError("Input should be a valid number, not a boolean")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> _Distribution:
        if self.p99_ms < self.p50_ms:
            raise ValueError("p99_ms must be at least p50_ms")
        if self.p50_ms < MIN_MS and self.p99_ms > 0:
            raise ValueError(
                f"p50_ms must be at least {MIN_MS} when p99_ms is above 0 (both 0: free)"
            )
        return self

    def distribution(self) -> Distribution:
        return Distribution(self.p50_ms, self.p99_ms)


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extends: str | None = Field(default=None, pattern="^(default|none)$")
    init: _Distribution | None = None
    invoke: _Distribution | None = None
    http: _Distribution | None = None
    aws: dict[str, _Distribution] = Field(default_factory=dict, max_length=MAX_AWS_ENTRIES)

    @model_validator(mode="after")
    def _keys(self) -> _Profile:
        for key in self.aws:
            if not _AWS_KEY.match(key):
                raise ValueError(
                    f"aws key {key[:80]!r} is not 'Service:Operation', 'Service:*' or '*'"
                    " (for example 'DynamoDB:PutItem')"
                )
        return self


def load_latency(spec: str, seed: int) -> LatencyModel:
    """A profile name or the path of a profile file; BadInput otherwise."""
    if spec == "none":
        return LatencyModel("none", seed=seed)
    if spec == "default":
        text = resources.files(__package__).joinpath("default.yaml").read_text(encoding="utf-8")
        return _model(_parse(text, "profile 'default'"), "default", seed)
    path = Path(spec)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte
        is_file = False
    if not is_file:
        shown = spec if len(spec) <= 80 else spec[:77] + "..."
        raise BadInput(
            f"--latency {shown!r} is neither a profile ({', '.join(PROFILES)})"
            " nor a latency profile file"
        )
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(f"--latency {spec!r} is over {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"--latency {spec!r} cannot be read: {exc}") from None
    profile = _parse(text, f"--latency {spec!r}")
    return _model(profile, path.name, seed)


def _parse(text: str, source: str) -> _Profile:
    try:
        check_yaml(text, source, max_bytes=MAX_FILE_BYTES)
        document: Any = yaml.safe_load(text)
    except DocumentError as exc:
        raise BadInput(str(exc)) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{source}: {yaml_problem(exc)}") from None
    if not isinstance(document, dict):
        raise BadInput(f"{source}: expected a mapping with init, invoke, http and aws")
    try:
        return _Profile.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the profile"
        raise BadInput(f"{source}: {where}: {error['msg']}") from None


def _model(profile: _Profile, name: str, seed: int) -> LatencyModel:
    base = load_latency(profile.extends, seed) if profile.extends else NONE

    def pick(given: _Distribution | None, inherited: Distribution) -> Distribution:
        return given.distribution() if given is not None else inherited

    return LatencyModel(
        name=name,
        seed=seed,
        init=pick(profile.init, base.init),
        invoke=pick(profile.invoke, base.invoke),
        http=pick(profile.http, base.http),
        aws={**base.aws, **{k.lower(): v.distribution() for k, v in profile.aws.items()}},
    )
