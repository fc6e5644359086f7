"""Retry policies of the two layers between a schedule and a function, as values.

The trigger layer (an EventBridge rule target or a Scheduler target) retries handing
the event to Lambda; Lambda's asynchronous invocation retries running the function.
Each is a small frozen value built from AWS's own fields and checked against AWS's
ranges, with AWS's wording when a value is out of range.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mock_api import PROFILES, FaultPlan, FaultRuleError, load_faults

from ..errors import BadInput

if TYPE_CHECKING:  # the upstream's httpx costs every start 0.1 s: imported when used
    from mock_api.upstream import Upstream

# The trigger layer's backoff is not documented by AWS ("exponential back off and
# jitter"). Chosen here: the n-th retry waits 2^(n-1) seconds capped at 5 minutes, with
# equal jitter (between half and all of it), seeded. 185 retries then span ~11 hours,
# inside the 24-hour default event age.
MAX_RESERVED_CONCURRENCY = 10_000  # a raised account limit rarely goes past it
TRIGGER_BACKOFF_BASE_SECONDS = 1.0
TRIGGER_BACKOFF_CAP_SECONDS = 300.0
# Lambda's async retries of function errors: "one minute between the first two attempts,
# and two minutes between the second and third".
FUNCTION_ERROR_RETRY_DELAYS = (60.0, 120.0)
# Throttles and system errors: "from 1 second after the first attempt to a maximum of
# 5 minutes", exponentially, until the event is too old.
THROTTLE_BACKOFF_BASE_SECONDS = 1.0
THROTTLE_BACKOFF_CAP_SECONDS = 300.0


def _check_range(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        bound = "greater than or equal to" if value < low else "less than or equal to"
        limit = low if value < low else high
        raise BadInput(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy"
            f" constraint: Member must have value {bound} {limit}"
        )


def check_delivery_settings(
    *, duplicate_rate: float | None, reserved_concurrency: int | None, flexible_window: int
) -> None:
    """The run's delivery settings within AWS's limits (in AWS's words where AWS has some)."""
    if duplicate_rate is not None and not 0 <= duplicate_rate <= 1:
        raise BadInput(f"--duplicate-rate must be between 0 and 1, got {duplicate_rate}")
    if reserved_concurrency is not None and reserved_concurrency > MAX_RESERVED_CONCURRENCY:
        raise BadInput(
            f"--reserved-concurrency must be at most {MAX_RESERVED_CONCURRENCY:,} (AWS's"
            f" default account limit is 1,000), got {reserved_concurrency}"
        )
    if reserved_concurrency is not None and reserved_concurrency < 0:
        raise BadInput(
            "1 validation error detected: Value"
            f" '{reserved_concurrency}' at 'reservedConcurrentExecutions' failed to"
            " satisfy constraint: Member must have value greater than or equal to 0"
        )
    if not 0 <= flexible_window <= 1440:
        raise BadInput(
            f"1 validation error detected: Value '{flexible_window}' at"
            " 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint:"
            " Member must have value less than or equal to 1440"
            if flexible_window > 1440
            else f"--flexible-window must be 0 (OFF) to 1440 minutes, got {flexible_window}"
        )


def delivery_knob(flag: float | None, plan: FaultPlan, name: str) -> float:
    """A delivery fault setting: the flag's when given, else the fault plan's, else 0."""
    if flag is not None:
        return flag
    faults = plan.delivery
    return float(getattr(faults, name)) if faults is not None else 0.0


@dataclass(frozen=True)
class TriggerRetryPolicy:
    """`RetryPolicy` of an EventBridge rule target or a Scheduler target."""

    maximum_retry_attempts: int = 185
    maximum_event_age_seconds: int = 86_400

    def __post_init__(self) -> None:
        _check_range("retryPolicy.maximumRetryAttempts", self.maximum_retry_attempts, 0, 185)
        _check_range(
            "retryPolicy.maximumEventAgeInSeconds", self.maximum_event_age_seconds, 60, 86_400
        )

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds before the `retry`-th retry (1-based)."""
        ceiling = min(
            TRIGGER_BACKOFF_CAP_SECONDS, TRIGGER_BACKOFF_BASE_SECONDS * 2.0 ** (retry - 1)
        )
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """Lambda's event invoke config: retries of function errors and the event's age."""

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 21_600
    on_failure: str | None = None  # destination ARN (an SQS queue here)
    dead_letter_queue: str | None = None  # the function's DeadLetterConfig.TargetArn

    def __post_init__(self) -> None:
        _check_range("maximumRetryAttempts", self.maximum_retry_attempts, 0, 2)
        _check_range("maximumEventAgeInSeconds", self.maximum_event_age_seconds, 60, 21_600)

    def error_retry_delay(self, retry: int) -> float:
        return FUNCTION_ERROR_RETRY_DELAYS[min(retry, len(FUNCTION_ERROR_RETRY_DELAYS)) - 1]

    @staticmethod
    def throttle_delay(retry: int) -> float:
        return min(THROTTLE_BACKOFF_CAP_SECONDS, THROTTLE_BACKOFF_BASE_SECONDS * 2.0 ** (retry - 1))


def fault_plan_for(spec: str | FaultPlan, seed: int, *, any_api: bool = False) -> FaultPlan:
    """`--faults`: a profile, a rule file, `random` (the seed's plan), or the rules. In
    front of a user's API (`any_api`), a profile's or random plan's rules, written for
    the records API's `/records`, apply to every path."""
    if isinstance(spec, FaultPlan):
        return spec
    try:
        plan = load_faults(spec, seed=seed)
    except FaultRuleError as exc:
        raise BadInput(f"--faults: {exc}") from None
    if any_api and (spec in PROFILES or spec == "random"):
        from mock_api.upstream import any_path

        return any_path(plan)
    return plan


def upstream_for(url: str | None, cassette: Path | None, plan: FaultPlan) -> Upstream | None:
    """`--api-upstream` or `--api-cassette`, checked against the fault plan: what the
    fault engine stands in front of instead of the mock records API."""
    if url is None and cassette is None:
        return None
    from mock_api.upstream import CassetteUpstream, HttpUpstream, check_upstream_plan

    try:
        check_upstream_plan(plan)
        return CassetteUpstream(cassette) if cassette is not None else HttpUpstream(str(url))
    except FaultRuleError as exc:
        raise BadInput(str(exc)) from None
