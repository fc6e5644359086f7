"""Fault rules: plain data, validated. The same document is posted to `/_faults`, read
from a YAML/JSON file (`harness run --faults FILE`) or shipped as a named profile.

    {"rules": [{"match": {...}, "fault": {...}}], "aws": [...], "seed": 7}

`rules` are the external API's (applied by the mock API); `aws` rules have the same
shape and are applied by the harness's AWS fault proxy to the function's AWS calls,
matched on `service:Operation` (e.g. `dynamodb:BatchWriteItem`).

A request *qualifies* for a rule when its method, path and logical time fit the rule;
`first`, `nth` and `every` count the requests that qualified for that rule (1-based),
`probability` throws the rule's own seeded dice, and `times` caps how often the rule
is applied; a request must pass all of the conditions given. Rules are tried in order
and the first that matches is applied.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

Kind = Literal[
    "hang",
    "reset",
    "empty",
    "malformed_json",
    "truncated",
    "drip",
    "invalid_records",
    "duplicate_records",
    "page_drift",
    "poison",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
# Kinds that send no HTTP response at all, and kinds that alter the records of a page.
NO_RESPONSE_KINDS = frozenset({"hang", "reset", "empty"})
DATA_KINDS = frozenset({"invalid_records", "duplicate_records", "page_drift", "poison"})

_OFFSET = re.compile(
    r"^\+?\s*(?:(?P<d>[0-9]{1,9})\s*d)?\s*(?:(?P<h>[0-9]{1,9})\s*h)?"
    r"\s*(?:(?P<m>[0-9]{1,9})\s*m)?\s*(?:(?P<s>[0-9]{1,9})\s*s)?$"
)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>[0-9]{1,9})D)?(?:T(?:(?P<h>[0-9]{1,9})H)?(?:(?P<m>[0-9]{1,9})M)?"
    r"(?:(?P<s>[0-9]{1,9})S)?)?$"
)
MAX_OFFSET = timedelta(days=36_525)  # a century of logical time from the run's start


def _logical_time(value: Any) -> datetime | timedelta:
    """An instant (ISO 8601) or an offset from the start of the run: `12d`, `12d 2h`,
    `90m`, or an ISO 8601 duration such as `P12DT2H`."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):  # YAML reads an unquoted 2026-01-12 as a date
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValueError("give an ISO 8601 instant or an offset from the run start like '12d 2h'")
    text = value.strip()
    for pattern in (_ISO_DURATION, _OFFSET):
        found = pattern.match(text.upper() if pattern is _ISO_DURATION else text.lower())
        if found and any(found.groupdict().values()):
            parts = {k: int(v or 0) for k, v in found.groupdict().items()}
            seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
            if seconds > MAX_OFFSET.total_seconds():
                raise ValueError("an offset from the run's start is at most 36525d (a century)")
            return timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO 8601 instant nor an offset like '12d 2h'"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


LogicalTime = Annotated[datetime | timedelta, BeforeValidator(_logical_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Window(_Strict):
    """Logical time the rule is live in: `from` inclusive, `to` exclusive."""

    start: LogicalTime | None = Field(default=None, alias="from")
    end: LogicalTime | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        start, end = self.start, self.end
        # An offset and an instant compare only once the run's start is known.
        comparable = start is not None and end is not None and type(start) is type(end)
        if comparable and start >= end:  # type: ignore[operator]
            raise ValueError("window 'from' must come before 'to'")
        return self

    def resolve(self, origin: datetime) -> tuple[datetime | None, datetime | None]:
        def at(value: datetime | timedelta | None) -> datetime | None:
            return origin + value if isinstance(value, timedelta) else value

        return at(self.start), at(self.end)


class _Selection(_Strict):
    """Which of the qualifying requests a rule picks out, and when it is live."""

    first: int | None = Field(default=None, ge=1)
    nth: list[Annotated[int, Field(ge=1)]] | None = Field(default=None, min_length=1)
    every: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    window: Window | None = None
    times: int | None = Field(default=None, ge=1)

    def target(self) -> tuple[str | None, str | None]:
        """(method, glob over the request's name) a request must fit to qualify."""
        raise NotImplementedError


class Match(_Selection):
    method: str | None = None
    path: str | None = Field(default=None, description="glob, e.g. /records*")

    def target(self) -> tuple[str | None, str | None]:
        return self.method, self.path


class AwsMatch(_Selection):
    operation: str | None = Field(
        default=None, description="glob over service:Operation, e.g. dynamodb:BatchWrite*"
    )

    @model_validator(mode="after")
    def _named(self) -> AwsMatch:
        if self.operation is not None and ":" not in self.operation:
            raise ValueError(
                f"operation {self.operation!r} must look like service:Operation,"
                " e.g. dynamodb:BatchWriteItem or dynamodb:*"
            )
        return self

    def target(self) -> tuple[str | None, str | None]:
        return None, self.operation


class Fault(_Strict):
    status: int | None = Field(default=None, ge=200, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | dict[str, Any] | list[Any] | None = None
    delay_ms: int = Field(default=0, ge=0, le=86_400_000)
    kind: Kind | None = None
    # How many records of a page `invalid_records`, `duplicate_records` and
    # `page_drift` touch; how many records of the dataset `poison` spoils for good.
    records: int = Field(default=1, ge=1, le=1000)
    # `drip`: the body in this many chunks, this far apart.
    chunks: int = Field(default=8, ge=2, le=1000)
    chunk_interval_ms: int = Field(default=1000, ge=0, le=3_600_000)

    @model_validator(mode="after")
    def _consistent(self) -> Fault:
        if self.status is None and self.kind is None and self.delay_ms == 0:
            raise ValueError("a fault needs at least one of status, kind or delay_ms")
        if self.kind in NO_RESPONSE_KINDS and (self.status or self.headers or self.body):
            raise ValueError(f"kind {self.kind!r} sends no response: drop status/headers/body")
        if self.kind in DATA_KINDS and self.status not in (None, 200):
            raise ValueError(f"kind {self.kind!r} alters a 200 page: drop status {self.status}")
        if (self.headers or self.body is not None) and self.status is None:
            raise ValueError("headers and body need a status to go with")
        if self.body is not None and self.status in (204, 304):
            raise ValueError(f"a {self.status} response has no body")
        for name, value in self.headers.items():
            _check_header(name, value)
        if self.body is not None and not isinstance(self.body, str):
            try:
                json.dumps(self.body, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"body cannot be sent as JSON: {exc}") from None
        return self

    def describe(self) -> str:
        parts = [f"delay {self.delay_ms}ms"] if self.delay_ms else []
        if self.status is not None:
            parts.append(str(self.status))
        if self.kind is not None:
            parts.append(self.kind)
        return "+".join(parts)


class Rule(_Strict):
    name: str | None = None
    match: Match = Field(default_factory=Match)
    fault: Fault


# AWS error codes a fault proxy answers with, and the HTTP status AWS sends each with.
AWS_ERROR_STATUS = {
    "ProvisionedThroughputExceededException": 400,
    "ThrottlingException": 400,
    "RequestLimitExceeded": 400,
    "ConditionalCheckFailedException": 400,
    "TransactionConflictException": 400,
    "ValidationException": 400,
    "ResourceNotFoundException": 400,
    "AccessDeniedException": 400,
    "InternalServerError": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
}


class AwsFault(_Strict):
    """An AWS-shaped error, part of a BatchWriteItem returned as UnprocessedItems, or
    latency (before either, or before the call goes through)."""

    error: str | None = Field(default=None, description="AWS error code, e.g. ThrottlingException")
    message: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    unprocessed: int | None = Field(
        default=None, ge=1, le=25, description="BatchWriteItem: items handed back unprocessed"
    )
    delay_ms: int = Field(default=0, ge=0, le=86_400_000)

    @model_validator(mode="after")
    def _consistent(self) -> AwsFault:
        if (self.status is not None or self.message is not None) and self.error is None:
            raise ValueError("status and message go with an error")
        if self.error is None and self.unprocessed is None and self.delay_ms == 0:
            raise ValueError("an AWS fault needs at least one of error, unprocessed or delay_ms")
        if self.error is not None and self.unprocessed is not None:
            raise ValueError("error and unprocessed exclude each other")
        if self.error is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*", self.error):
            raise ValueError(f"error {self.error!r} is not an AWS error code")
        return self

    @property
    def http_status(self) -> int:
        return self.status or AWS_ERROR_STATUS.get(self.error or "", 400)

    def describe(self) -> str:
        parts = [f"delay {self.delay_ms}ms"] if self.delay_ms else []
        if self.error is not None:
            parts.append(self.error)
        if self.unprocessed is not None:
            parts.append(f"{self.unprocessed} unprocessed")
        return "+".join(parts)


class AwsRule(_Strict):
    name: str | None = None
    match: AwsMatch = Field(default_factory=AwsMatch)
    fault: AwsFault

    @model_validator(mode="after")
    def _batch_only(self) -> AwsRule:
        if self.fault.unprocessed is not None and self.match.operation != "dynamodb:BatchWriteItem":
            raise ValueError(
                "unprocessed applies to BatchWriteItem only: match operation"
                " 'dynamodb:BatchWriteItem'"
            )
        return self


class DeliveryFaults(_Strict):
    """Faults on AWS's side of delivery, read by the harness (the API ignores them)."""

    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    handoff_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # The function's reserved concurrency, deployed so (None: the template's). A setting
    # of the stack rather than a fault, but a plan that throttles must be able to say it.
    reserved_concurrency: int | None = Field(default=None, ge=0, le=10_000)


class FaultPlan(_Strict):
    rules: list[Rule] = Field(default_factory=list)
    aws: list[AwsRule] = Field(default_factory=list)
    delivery: DeliveryFaults | None = None
    seed: int | None = Field(default=None, description="fault dice; the API's seed if absent")


def windows_over(plan: FaultPlan, origin: datetime, now: datetime) -> list[str]:
    """Rules whose window has already closed at logical time `now` (they cannot fire)."""
    labelled: list[tuple[str, Rule | AwsRule]] = [
        *((rule.name or f"rule {i}", rule) for i, rule in enumerate(plan.rules)),
        *((rule.name or f"aws rule {i}", rule) for i, rule in enumerate(plan.aws)),
    ]
    over = []
    for label, rule in labelled:
        if rule.match.window is not None:
            end = rule.match.window.resolve(origin)[1]
            if end is not None and end <= now:
                over.append(label)
    return over


class FaultRuleError(ValueError):
    """A fault rule document that does not validate; the message is one line."""


def parse_plan(document: Any, source: str = "fault rules") -> FaultPlan:
    if isinstance(document, list):
        document = {"rules": document}
    try:
        return FaultPlan.model_validate(document)
    except ValidationError as exc:
        raise FaultRuleError(f"{source}: {describe_validation_error(exc)}") from None


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _check_header(name: str, value: str) -> None:
    if not _TOKEN.match(name):
        raise ValueError(f"header name {name!r} is not an HTTP token")
    if "\r" in value or "\n" in value or not value.isascii():
        raise ValueError(f"header {name!r}: the value must be one line of ASCII")


def describe_validation_error(exc: ValidationError) -> str:
    """pydantic's first error as `rules[0].match.probability: <why> (got 1.5)`."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ""
    for part in first["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = str(first["msg"]).removeprefix("Value error, ")
    got = first.get("input")
    text = repr(got) if isinstance(got, str | int | float) and "got" not in message else ""
    shown = f" (got {text if len(text) <= 60 else text[:57] + '...'})" if text else ""
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where or 'document'}: {message}{shown}{more}"
