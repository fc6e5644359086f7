"""Lambda entry point: `function.handler.lambda_handler`.

Fired by an EventBridge rule or an EventBridge Scheduler schedule. AWS clients, the HTTP
client and the API token are kept between invocations of a warm container.
"""

from __future__ import annotations

import functools
import json
import os
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import botocore.session
import httpx
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from .api_client import ApiError, RecordsApi
from .clock import get_clock, iso, parse_iso
from .config import Config, load_config
from .logs import StructuredLogger
from .store import Store, StoreError
from .sync import SyncInProgress, run_sync

# Time kept back at the end of an invocation to record the outcome of a failing sync.
RESERVE_FRACTION = 0.1
RESERVE_CAP_SECONDS = 30.0
NO_DEADLINE_SECONDS = 900.0

_clients: dict[tuple[str, str], tuple[Any, Any]] = {}
_tokens: dict[str, str] = {}
_http: httpx.Client | None = None


class BadEvent(ValueError):
    """The event is not a scheduled event this function can act on."""


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    clock = get_clock()
    config = load_config(os.environ)
    request_id = str(getattr(context, "aws_request_id", "local-invoke"))
    logger = StructuredLogger(
        level=config.log_level,
        environment=config.env,
        function_name=str(
            getattr(context, "function_name", os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local"))
        ),
        request_id=request_id,
        clock=clock,
    )
    scheduled = scheduled_time(event)
    sync_id = derive_sync_id(event, scheduled)
    seconds_left, lease_until = _budget(context, clock.now())
    dynamodb, secrets = _aws_clients(config)
    token = _api_token(secrets, config.api_token_secret)
    logger.redact(token)
    rng = random.Random(request_id)  # per-invocation jitter; seeded ids make it replayable
    api = RecordsApi(
        base_url=config.api_url,
        token=token,
        timeout_seconds=config.http_timeout_seconds,
        max_attempts=config.api_max_attempts,
        page_size=config.page_size,
        clock=clock,
        rng=rng,
        logger=logger,
        seconds_left=seconds_left,
        http=_http_client(),
    )
    store = Store(
        client=dynamodb,
        records_table=config.records_table,
        sync_table=config.sync_table,
        clock=clock,
        rng=rng,
        logger=logger,
        concurrency=config.batch_size if config.batch_enabled else 1,
    )
    started = clock.now()
    try:
        outcome = run_sync(
            config=config,
            scheduled=scheduled,
            sync_id=sync_id,
            request_id=request_id,
            lease_until=lease_until,
            store=store,
            api=api,
            logger=logger,
            clock=clock,
        )
    except Exception as exc:
        logger.performance(
            "EXECUTION_FAILED", durationMs=_ms_since(clock, started), failurePoint=_stage_of(exc)
        )
        raise
    finally:
        store.close()
    elapsed = _ms_since(clock, started)
    logger.performance(
        "EXECUTION_COMPLETED",
        durationMs=elapsed,
        recordsProcessed=outcome.records_processed,
        avgTimePerRecord=round(elapsed / outcome.records_processed, 3)
        if outcome.records_processed
        else None,
    )
    messages = {
        "success": "Daily sync completed successfully",
        "partial": f"Daily sync completed with {outcome.invalid_records} invalid records",
        "skipped": "Sync already completed for this occurrence",
    }
    return {
        "statusCode": 200,
        "body": {
            "message": messages[outcome.status],
            "timestamp": clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "recordsProcessed": outcome.records_processed,
            "processingTimeMs": outcome.processing_ms,
            "syncId": outcome.sync_id,
            "status": outcome.status,
        },
    }


def _ms_since(clock: Any, started: datetime) -> int:
    return int((clock.now() - started).total_seconds() * 1000)


def _stage_of(exc: Exception) -> str:
    """The seed's `failurePoint`: the stage the run failed in."""
    if isinstance(exc, ApiError):
        return "data-fetch"
    if isinstance(exc, StoreError | ClientError | BotoCoreError):
        return "data-storage"
    if isinstance(exc, SyncInProgress):
        return "sync-lease"
    return "data-processing"


def scheduled_time(event: Any) -> datetime:
    """The occurrence's logical instant: the event's `time` (rules and Scheduler alike)."""
    if not isinstance(event, dict) or not isinstance(event.get("time"), str):
        raise BadEvent("event has no 'time': expected an EventBridge scheduled event")
    try:
        return parse_iso(event["time"])
    except ValueError:
        raise BadEvent(f"event 'time' is not an ISO 8601 instant: {event['time']!r}") from None


def derive_sync_id(event: dict[str, Any], scheduled: datetime) -> str:
    """`<schedule name>#<scheduled instant>`: every delivery of an occurrence shares it."""
    resources = event.get("resources") or []
    arn = resources[0] if resources and isinstance(resources[0], str) else ""
    # rule ARNs end in `rule/NAME`, Scheduler ARNs in `schedule/GROUP/NAME`.
    name = arn.split(":")[-1].split("/", 1)[-1] if arn else "manual"
    return f"{name}#{iso(scheduled)}"


def _budget(context: Any, now: datetime) -> tuple[Callable[[], float], datetime]:
    """(seconds left for work, keeping back time to record the outcome; the
    invocation's deadline, which is when the sync lease expires)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return (lambda: NO_DEADLINE_SECONDS), now + timedelta(seconds=NO_DEADLINE_SECONDS)
    total = remaining() / 1000
    reserve = min(RESERVE_CAP_SECONDS, total * RESERVE_FRACTION)
    return (lambda: float(remaining()) / 1000 - reserve), now + timedelta(seconds=total)


@functools.cache
def _session(region: str) -> boto3.session.Session:
    # Kept for the life of the process, as boto3's default session is: on Lambda a cold
    # start is a new process anyway. It holds the parsed service models (a fifth of a
    # second each to load) and the credentials, which Lambda sets once per container.
    return boto3.session.Session(region_name=region, botocore_session=botocore.session.Session())


def _aws_clients(config: Config) -> tuple[Any, Any]:
    # AWS_ENDPOINT_URL is read by botocore itself; it is part of the key so a harness
    # that changes endpoints between runs gets fresh clients.
    key = (config.region, os.environ.get("AWS_ENDPOINT_URL", ""))
    if key not in _clients:
        session = _session(config.region)
        boto_config = BotoConfig(
            retries={"total_max_attempts": 1},  # retried in store.py on the function's clock
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=max(10, config.batch_size),
        )
        _clients[key] = (
            session.client("dynamodb", config=boto_config),
            session.client("secretsmanager", config=boto_config),
        )
    return _clients[key]


def _api_token(secrets: Any, secret_id: str) -> str:
    if secret_id not in _tokens:
        value = secrets.get_secret_value(SecretId=secret_id)["SecretString"]
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        token = parsed.get("token") if isinstance(parsed, dict) else value  # the token as is
        if not isinstance(token, str) or not token:
            raise ValueError(f"secret {secret_id} holds no token (plain text or {{'token': ...}})")
        _tokens[secret_id] = token
    return _tokens[secret_id]


def _http_client() -> httpx.Client:
    global _http
    if _http is None:
        _http = httpx.Client(follow_redirects=False)
    return _http


def reset_warm_state() -> None:
    """Forget cached clients and token, as a cold start would."""
    global _http
    _clients.clear()
    _tokens.clear()
    if _http is not None:
        _http.close()
        _http = None
