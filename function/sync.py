"""One scheduled sync: fetch what changed since the last good sync, store it, archive.

The logical run time is the scheduled instant from the event, never the wall clock, so
an occurrence does the same work whenever (and however often) it is delivered. One
invocation at a time holds the sync lease; a second one (an overlapping run, a
duplicate delivery) fails fast and is retried by Lambda's asynchronous retries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .api_client import RecordsApi
from .clock import Clock, iso
from .config import Config
from .logs import StructuredLogger
from .quarantine import Ledger
from .records import Invalid, latest_per_id, to_item, validate
from .store import Checkpoint, Store


class SyncInProgress(RuntimeError):
    """Another invocation holds the sync lease."""


@dataclass(frozen=True)
class SyncOutcome:
    sync_id: str
    status: str  # success | partial | skipped (already succeeded)
    records_processed: int
    invalid_records: int
    archived: int
    retention_scanned: int
    processing_ms: int


def run_sync(
    *,
    config: Config,
    scheduled: datetime,
    sync_id: str,
    request_id: str,
    lease_until: datetime,
    store: Store,
    api: RecordsApi,
    logger: StructuredLogger,
    clock: Clock,
) -> SyncOutcome:
    started = clock.now()
    existing = store.get_sync(sync_id)
    if existing and existing.get("status") == "success":
        # A duplicate or retried delivery of an occurrence that already succeeded.
        logger.info("SYNC_ALREADY_COMPLETED", syncId=sync_id)
        return SyncOutcome(sync_id, "skipped", 0, 0, 0, 0, 0)
    held_until = store.acquire_lease(config.source, request_id, iso(started), iso(lease_until))
    if held_until is not None:
        logger.warn("SYNC_IN_PROGRESS", syncId=sync_id, leaseHeldUntil=held_until)
        raise SyncInProgress(f"another invocation holds the sync lease until {held_until}")
    try:
        checkpoint = store.last_success(config.source)
        base = _sync_item(config, scheduled, sync_id, request_id, started, checkpoint)
        try:
            return _sync(config, scheduled, base, checkpoint, store, api, logger, clock, started)
        except Exception as exc:
            _record_failure(store, base, clock, started, exc, logger)
            raise
    finally:
        try:
            store.release_lease(config.source, request_id)
        except Exception as exc:  # it expires at this invocation's deadline anyway
            logger.error("LEASE_NOT_RELEASED", error=f"{type(exc).__name__}: {exc}")


def _sync(
    config: Config,
    scheduled: datetime,
    base: dict[str, Any],
    checkpoint: Checkpoint | None,
    store: Store,
    api: RecordsApi,
    logger: StructuredLogger,
    clock: Clock,
    started: datetime,
) -> SyncOutcome:
    since = checkpoint.window_to if checkpoint else None
    sync_id = base["syncId"]
    logger.info(
        "SYNC_STARTED",
        source=config.source,
        syncId=sync_id,
        windowFrom=iso(since) if since else None,
        windowTo=iso(scheduled),
    )
    # A late retry of an occurrence older than the last success has nothing to fetch.
    raw = api.fetch_changed(since, scheduled) if since is None or since < scheduled else []
    ledger = Ledger.load(store, config.source)
    valid: list[dict[str, Any]] = []
    invalid = pending = 0
    for candidate in raw:
        checked = validate(candidate)
        if isinstance(checked, Invalid):
            invalid += 1
            if ledger.note_invalid(checked, candidate, sync_id):
                logger.warn("RECORD_QUARANTINED", recordId=checked.record_id, reason=checked.reason)
            else:
                pending += 1
                logger.warn("INVALID_RECORD", recordId=checked.record_id, reason=checked.reason)
        else:
            valid.append(checked)
    synced_at = iso(scheduled)
    keep = timedelta(days=config.keep_records_days)
    cutoff = iso(scheduled - keep)
    records = latest_per_id(valid)
    now = iso(clock.now())  # archivedAt: the (virtual) time of archiving
    written = store.write_records([to_item(r, sync_id, synced_at, cutoff, now) for r in records])
    # The seed's per-run line; a write that fails for good raises instead (the run fails
    # and the next one writes it), so `failed` counts what was left unwritten here.
    logger.info(
        "DATABASE_OPERATIONS",
        message=f"Database operations: {written} successful, {len(records) - written} failed",
        successful=written,
        failed=len(records) - written,
    )
    # Active records were never created before the last sweep's cutoff. Before any sweep,
    # look back one more retention period for records of earlier deployments.
    floor = (checkpoint and checkpoint.retention_cutoff) or iso(scheduled - 2 * keep)
    just_written = frozenset(record["id"] for record in records)
    archived, scanned = store.archive_older_than(cutoff, floor, iso(clock.now()), just_written)
    logger.info("RETENTION_COMPLETED", cutoff=cutoff, archived=archived, scanned=scanned)

    for released in ledger.note_valid({record["id"] for record in records}):
        logger.info("QUARANTINE_RELEASED", recordId=released)
    ledger.save(store)
    # Invalid records not yet quarantined keep the cursor: the next run asks again.
    status = "partial" if pending else "success"
    elapsed = _elapsed_ms(clock, started)
    item = {
        **base,
        "status": status,
        "recordCount": written,
        "invalidCount": invalid,
        "quarantinedCount": invalid - pending,
        "archivedCount": archived,
        "retentionCutoff": cutoff,
        "processingTime": elapsed,
        "data": json.dumps({"fetched": len(raw), "written": written, "invalid": invalid}),
    }
    if status == "success":
        # Only a complete sync moves the cursor (quarantined records count as done):
        # after a partial one the next run asks for the same window again, so a record
        # invalid in one response is not skipped.
        item["cursorSource"] = config.source
    store.put_sync(item)
    logger.success(
        "SYNC_COMPLETED",
        syncId=sync_id,
        status=status,
        recordsProcessed=written,
        duration=elapsed,  # the seed's name; durationMs the same figure
        invalidRecords=invalid,
        quarantined=invalid - pending,
        archived=archived,
        durationMs=elapsed,
    )
    logger.metrics(
        RecordsProcessed=(written, "Count"),
        InvalidRecords=(invalid, "Count"),
        RecordsArchived=(archived, "Count"),
        Failures=(0, "Count"),
        ProcessingTime=(elapsed, "Milliseconds"),
    )
    return SyncOutcome(sync_id, status, written, invalid, archived, scanned, elapsed)


def _sync_item(
    config: Config,
    scheduled: datetime,
    sync_id: str,
    request_id: str,
    started: datetime,
    checkpoint: Checkpoint | None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "syncId": sync_id,
        "date": scheduled.date().isoformat(),
        "source": config.source,
        "scheduledTime": iso(scheduled),
        "executedAt": iso(started),
        "windowTo": iso(scheduled),
        "isActive": True,
        "requestId": request_id,
    }
    if checkpoint is not None:
        item["windowFrom"] = iso(checkpoint.window_to)
    return item


def _record_failure(
    store: Store,
    base: dict[str, Any],
    clock: Clock,
    started: datetime,
    exc: Exception,
    logger: StructuredLogger,
) -> None:
    elapsed = _elapsed_ms(clock, started)
    error = f"{type(exc).__name__}: {exc}"
    logger.error("SYNC_FAILED", syncId=base["syncId"], error=error, durationMs=elapsed)
    logger.metrics(
        RecordsProcessed=(0, "Count"),
        Failures=(1, "Count"),
        ProcessingTime=(elapsed, "Milliseconds"),
    )
    item = {
        **base,
        "status": "failed",
        "recordCount": 0,
        "processingTime": elapsed,
        "error": error[:1000],
        "data": json.dumps({"error": error[:200]}),
    }
    try:
        store.put_sync_unless_succeeded(item)
    except Exception as store_exc:  # the original failure is what matters
        logger.error("SYNC_STATUS_NOT_SAVED", error=f"{type(store_exc).__name__}: {store_exc}")


def _elapsed_ms(clock: Clock, started: datetime) -> int:
    return int((clock.now() - started).total_seconds() * 1000)
