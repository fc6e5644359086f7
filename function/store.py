"""DynamoDB access: idempotent batch writes, the sync log and its cursor, retention.

Tables (see harness/deploy/provision.py or deploy/ for their definitions):
- records: key `id`; sparse GSI `retention-index` (`activeWeek`, `updatedAt`, all
  attributes projected) holding only active items, partitioned by the ISO week of
  their last update, so the retention sweep reads what it archives and nothing else, and no
  index partition runs hot.
- sync: key `syncId`; sparse GSI `cursor-index` (`cursorSource`, `windowTo`, projecting
  `retentionCutoff`) holding only fully successful syncs, so the last one is a one-item
  Query. The same table holds the sync lease (`lease#<source>`), which makes one
  invocation at a time the only writer of the records table.

botocore's own retries sleep on the wall clock, so the clients are built without them
and `_call` retries throttling and 5xx here, through the function's clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from .clock import Clock, parse_iso
from .logs import StructuredLogger
from .records import iso_week

RETENTION_INDEX = "retention-index"
CURSOR_INDEX = "cursor-index"
BATCH_LIMIT = 25
QUERY_PAGE = 100
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)
MAX_CALL_ATTEMPTS = 8
MAX_UNPROCESSED_ROUNDS = 10

T = TypeVar("T")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class StoreError(RuntimeError):
    """DynamoDB kept refusing a write after every retry."""


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


@dataclass(frozen=True)
class Checkpoint:
    """Where the last fully successful sync left off."""

    window_to: datetime
    retention_cutoff: str | None


class Store:
    def __init__(
        self,
        *,
        client: Any,
        records_table: str,
        sync_table: str,
        clock: Clock,
        rng: random.Random,
        logger: StructuredLogger,
        concurrency: int = 1,
    ) -> None:
        self._db = client
        self._records = records_table
        self._sync = sync_table
        self._clock = clock
        self._rng = rng
        self._log = logger
        self._concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # -- sync log -------------------------------------------------------------------
    def get_sync(self, sync_id: str) -> dict[str, Any] | None:
        answer = self._call(
            lambda: self._db.get_item(
                TableName=self._sync, Key={"syncId": {"S": sync_id}}, ConsistentRead=True
            )
        )
        item = answer.get("Item")
        return deserialize(item) if item else None

    def put_sync(self, item: dict[str, Any]) -> None:
        self._call(lambda: self._db.put_item(TableName=self._sync, Item=serialize(item)))

    def put_sync_unless_succeeded(self, item: dict[str, Any]) -> None:
        """Record a failure without overwriting a concurrent delivery's success."""
        try:
            self._call(
                lambda: self._db.put_item(
                    TableName=self._sync,
                    Item=serialize(item),
                    ConditionExpression="attribute_not_exists(syncId) OR #s <> :ok",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":ok": {"S": "success"}},
                )
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def last_success(self, source: str) -> Checkpoint | None:
        """The latest fully successful sync of `source`."""
        answer = self._call(
            lambda: self._db.query(
                TableName=self._sync,
                IndexName=CURSOR_INDEX,
                KeyConditionExpression="cursorSource = :s",
                ExpressionAttributeValues={":s": {"S": source}},
                ScanIndexForward=False,
                Limit=1,
            )
        )
        items = answer.get("Items", [])
        if not items:
            return None
        cutoff = items[0].get("retentionCutoff", {}).get("S")
        return Checkpoint(parse_iso(items[0]["windowTo"]["S"]), cutoff)

    # -- records --------------------------------------------------------------------
    def write_records(self, items: list[dict[str, Any]]) -> int:
        """Put every item (keyed by id, so rewrites are idempotent); returns the count.

        Chunks of 25 go out `concurrency` at a time (ENABLE_BATCH_PROCESSING/BATCH_SIZE).
        """
        chunks = [items[i : i + BATCH_LIMIT] for i in range(0, len(items), BATCH_LIMIT)]
        # Each chunk backs off with jitter of its own: chunks written in parallel would
        # otherwise draw from one generator in whatever order the threads run.
        base = self._rng.getrandbits(64)
        jitters = [random.Random(f"{base}:{n}") for n in range(len(chunks))]
        if self._concurrency <= 1 or len(chunks) <= 1:
            for chunk, jitter in zip(chunks, jitters, strict=True):
                self._write_chunk(chunk, jitter)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._concurrency)
            list(self._pool.map(self._write_chunk, chunks, jitters))
        return len(items)

    def _write_chunk(self, chunk: list[dict[str, Any]], jitter: random.Random) -> None:
        pending: dict[str, Any] = {
            self._records: [{"PutRequest": {"Item": serialize(item)}} for item in chunk]
        }
        for round_ in range(1, MAX_UNPROCESSED_ROUNDS + 1):
            answer = self._call(partial(self._db.batch_write_item, RequestItems=pending), jitter)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            left = sum(len(requests) for requests in pending.values())
            wait = self._backoff(round_, jitter)
            self._log.warn("UNPROCESSED_ITEMS_RETRY", round=round_, items=left, waitSeconds=wait)
            self._clock.sleep(wait)
        raise StoreError(
            f"BatchWriteItem left items unprocessed after {MAX_UNPROCESSED_ROUNDS} rounds"
        )

    def archive_older_than(
        self, cutoff: str, floor: str, archived_at: str, just_written: frozenset[str]
    ) -> tuple[int, int]:
        """Mark active records created before `cutoff` inactive, as of `archived_at`.

        Every active record was created at or after `floor` (the previous sweep's
        cutoff), so only the index partitions of the weeks from `floor` to `cutoff` are
        read. Returns (archived, scanned): scanned is DynamoDB's ScannedCount, the items
        the sweep read. The archived items are written back with BatchWriteItem, which
        is safe because the caller holds the sync lease: no other writer can have
        changed a record between this read and that write. Index reads are eventually
        consistent, so the index may still show the old version of a record this run
        has just rewritten: `just_written` ids are left alone.
        """
        archived = scanned = 0
        for page in self._expired_pages(floor, cutoff):
            scanned += page["ScannedCount"]
            items = [deserialize(raw) for raw in page["Items"]]
            items = [item for item in items if item["id"] not in just_written]
            for item in items:
                item.pop("activeWeek", None)
                item.update(isActive=False, archivedAt=archived_at)
            archived += self.write_records(items)
        return archived, scanned

    def _expired_pages(self, floor: str, cutoff: str) -> Iterator[dict[str, Any]]:
        for week in _weeks(floor, cutoff):
            start_key: dict[str, Any] | None = None
            while True:
                request: dict[str, Any] = {
                    "TableName": self._records,
                    "IndexName": RETENTION_INDEX,
                    "KeyConditionExpression": "activeWeek = :w AND createdAt < :cutoff",
                    "ExpressionAttributeValues": {":w": {"S": week}, ":cutoff": {"S": cutoff}},
                    "Limit": QUERY_PAGE,
                }
                if start_key:
                    request["ExclusiveStartKey"] = start_key
                page = self._call(partial(self._db.query, **request))
                yield page
                start_key = page.get("LastEvaluatedKey")
                if not start_key:
                    break

    # -- lease ----------------------------------------------------------------------
    def acquire_lease(self, source: str, holder: str, now: str, until: str) -> str | None:
        """Take the sync lease of `source` until `until`; None when taken, else the
        current holder's expiry. A lease outlives no invocation: `until` is the
        holder's own deadline, after which Lambda has stopped it."""
        try:
            self._call(
                partial(
                    self._db.put_item,
                    TableName=self._sync,
                    Item=serialize(
                        {"syncId": f"lease#{source}", "holder": holder, "expiresAt": until}
                    ),
                    ConditionExpression="attribute_not_exists(syncId) OR expiresAt < :now",
                    ExpressionAttributeValues={":now": {"S": now}},
                )
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            held = self._db.get_item(
                TableName=self._sync, Key={"syncId": {"S": f"lease#{source}"}}
            ).get("Item", {})
            return str(held.get("expiresAt", {}).get("S", "unknown"))
        return None

    def release_lease(self, source: str, holder: str) -> None:
        try:
            self._call(
                partial(
                    self._db.delete_item,
                    TableName=self._sync,
                    Key={"syncId": {"S": f"lease#{source}"}},
                    ConditionExpression="holder = :me",
                    ExpressionAttributeValues={":me": {"S": holder}},
                )
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # -- retries --------------------------------------------------------------------
    def _call(self, operation: Callable[[], T], jitter: random.Random | None = None) -> T:
        for attempt in range(1, MAX_CALL_ATTEMPTS + 1):
            try:
                return operation()
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code not in RETRYABLE_CODES and status < 500:
                    raise
                reason = code
            except (ConnectionError, HTTPClientError) as exc:
                reason = type(exc).__name__
            if attempt == MAX_CALL_ATTEMPTS:
                raise StoreError(f"DynamoDB kept failing ({reason}) after {attempt} attempts")
            wait = self._backoff(attempt, jitter or self._rng)
            self._log.warn("DYNAMODB_RETRY", attempt=attempt, reason=reason, waitSeconds=wait)
            self._clock.sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def _backoff(attempt: int, jitter: random.Random) -> float:
        # 50 ms doubling, as the SDK does for DynamoDB, with equal jitter.
        ceiling = min(20.0, 0.05 * 2.0 ** (attempt - 1))
        return round(ceiling / 2 + jitter.uniform(0, ceiling / 2), 4)


def _weeks(floor: str, cutoff: str) -> Iterator[str]:
    """The ISO weeks from `floor`'s to `cutoff`'s, inclusive, as `YYYY-Www`."""
    day = date.fromisoformat(floor[:10])
    day -= timedelta(days=day.weekday())  # that week's Monday
    last = date.fromisoformat(cutoff[:10])
    while day <= last:
        yield iso_week(day.isoformat())
        day += timedelta(days=7)
