"""Our function, wrapped to fail as real ones do (for the scenario suite)."""

from __future__ import annotations

import json
import os
from typing import Any

from function import handler as sync_handler
from function import store

CRASH_DAY = "2026-01-04"


def crashes_mid_write_on_day_4(event: dict[str, Any], context: Any) -> Any:
    """The process dies (as on an out-of-memory kill) after its first batch of records
    on 4 January, leaving the lease held and the sync half written."""
    if not str(event.get("time", "")).startswith(CRASH_DAY):
        return sync_handler.lambda_handler(event, context)
    write = store.Store.write_records

    def die_after_first_batch(self: store.Store, items: list[dict[str, Any]]) -> int:
        written = write(self, items[: store.BATCH_LIMIT])
        os._exit(137)
        return written

    store.Store.write_records = die_after_first_batch  # type: ignore[method-assign]
    try:  # a retry that meets the lease fails without crashing: the worker lives on
        return sync_handler.lambda_handler(event, context)
    finally:
        store.Store.write_records = write  # type: ignore[method-assign]


def logs_archived_ids(event: dict[str, Any], context: Any) -> Any:
    """Our function, logging the id of every record its retention sweep archives (an
    `ARCHIVED` line per record), so a test can see when each one went."""
    write = store.Store.write_records

    def write_and_log(self: store.Store, items: list[dict[str, Any]]) -> int:
        for item in items:
            if item.get("isActive") is False:
                print(json.dumps({"event": "ARCHIVED", "id": item["id"], "at": item["archivedAt"]}))
        return write(self, items)

    store.Store.write_records = write_and_log  # type: ignore[method-assign]
    try:
        return sync_handler.lambda_handler(event, context)
    finally:
        store.Store.write_records = write  # type: ignore[method-assign]
