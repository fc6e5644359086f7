"""`harness run`'s options, and their ranges: checked before any work starts, so bad
input is one line and exit 2 (AWS's own bounds and words where AWS has them)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from mock_api import FaultPlan

from .clock import in_range
from .delivery.policy import check_delivery_settings
from .deploy import DeployedStack, check_data_dir, check_function
from .errors import BadInput
from .report.checks import check_spec
from .runtime import check_executor

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
MAX_DAYS = 36_525  # a century of virtual time
MAX_SEED = 2**63 - 1
MAX_CHANGES_PER_DAY = 100_000
TRANSPORTS = ("direct", "http")


@dataclass
class RunOptions:
    schedule: str = "cron(0 2 * * ? *)"
    timezone: str = "UTC"
    start: datetime = DEFAULT_START
    days: float = 90.0
    seed: int = 1
    executor: str = "inprocess"
    # How this process's AWS calls reach the embedded AWS: handed to it in process
    # ("direct"), or over loopback HTTP as to LocalStack or AWS ("http").
    transport: str = "direct"
    report_dir: Path = Path("out/run")
    environment: dict[str, str] = field(default_factory=dict)  # overrides for the function
    changes_per_day: int = 100
    faults: str | FaultPlan = "none"  # a profile name, a rule file, or the rules themselves
    latency: str = "default"  # what work costs in virtual time: a profile or a file
    show_progress: bool = True
    # Delivery: each overrides what gets deployed, and the run reads it back.
    retry_attempts: int | None = None  # the trigger target's RetryPolicy
    max_event_age: int | None = None
    async_retry_attempts: int | None = None  # Lambda's event invoke config
    async_max_event_age: int | None = None
    reserved_concurrency: int | None = None
    duplicate_rate: float | None = None  # None: the fault file's, else 0
    flexible_window: int = 0  # Scheduler FlexibleTimeWindow, minutes
    delete_after_completion: bool = False  # Scheduler ActionAfterCompletion DELETE
    scheduler_input: str | None = None  # Scheduler Target.Input (JSON, context attributes)
    start_date: datetime | None = None  # Scheduler StartDate / EndDate
    end_date: datetime | None = None
    # The function: ours unless a handler (and the directory its code lives in) is given.
    handler: str | None = None
    code_dir: Path | None = None
    function_timeout: int | None = None  # seconds, as deployed (1 to 900)
    template: Path | None = None  # CloudFormation or SAM; None: deploy/template.yaml
    data: Path | None = None  # what the stack holds before the first occurrence
    before_firing: Callable[[DeployedStack], None] | None = None  # after deploy and data
    check: str | None = None  # MOD:FUNC, the user's verdict on the run
    # The external API: the mock records API, unless the user's own (or a cassette) is
    # put behind the fault engine; the function finds it in `api_env`.
    api_upstream: str | None = None
    api_cassette: Path | None = None
    api_env: str = "EXTERNAL_API_URL"


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,255}$")


def check_api(upstream: str | None, cassette: Path | None, env: str) -> None:
    """An upstream is an http(s) URL, a cassette a file; one or the other."""
    if upstream is not None and cassette is not None:
        raise BadInput("give --api-upstream or --api-cassette, not both")
    if upstream is not None:
        parts = urlsplit(upstream) if len(upstream) <= 2048 else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            shown = upstream if len(upstream) <= 80 else upstream[:77] + "..."
            raise BadInput(f"--api-upstream {shown!r} must be an http:// or https:// URL")
    if cassette is not None and not os.path.isfile(cassette):  # False for any bad name
        raise BadInput(f"--api-cassette {str(cassette)!r} is not a file")
    if not _ENV_NAME.match(env):
        shown = env if len(env) <= 80 else env[:77] + "..."
        raise BadInput(f"--api-env {shown!r} must be a variable name (letters, digits, _)")


def check_options(options: RunOptions) -> None:
    """Every option in range before anything starts; BadInput (one line) otherwise."""
    if not 0 < options.days <= MAX_DAYS:  # NaN fails both
        raise BadInput(f"--days must be above 0 and at most {MAX_DAYS:,}, got {options.days}")
    check_executor(options.executor)
    if options.transport not in TRANSPORTS:
        shown = options.transport[:40]
        raise BadInput(f"--transport must be direct or http, got {shown!r}")
    if options.start.tzinfo is None:
        raise BadInput("--start must carry a time zone (end it with Z for UTC)")
    if not in_range(options.start):
        raise BadInput("--start must be from 1970-01-01 to before 9000-01-01")
    if not 0 <= options.seed <= MAX_SEED:
        raise BadInput(f"--seed must be 0 to {MAX_SEED} (2**63 - 1), got {options.seed}")
    try:
        options.start + timedelta(days=options.days)
    except OverflowError:
        raise BadInput("--start plus --days runs past the year 9999") from None
    check_function(options.handler, options.code_dir, options.function_timeout, options.template)
    check_data_dir(options.data)
    check_spec(options.check)
    check_api(options.api_upstream, options.api_cassette, options.api_env)
    if not 1 <= options.changes_per_day <= MAX_CHANGES_PER_DAY:
        raise BadInput(f"--changes-per-day must be 1 to {MAX_CHANGES_PER_DAY:,}")
    check_delivery_settings(
        duplicate_rate=options.duplicate_rate,
        reserved_concurrency=options.reserved_concurrency,
        flexible_window=options.flexible_window,
    )
