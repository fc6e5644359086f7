"""A partition index for moto's DynamoDB Query, so a query costs what its partition holds.

moto answers every Query by walking every item of the table (`Table.all_items()`) and
keeping those whose hash key matches; a GSI query does the same on the index's hash
attribute. A year of a daily sync makes that walk 24,000 items long for a partition of
a few hundred, and each occurrence slower than the one before.

Here each table keeps, per attribute a query has asked about, a map from value to the
items holding it, and a Query walks only its partition. moto's own loop still runs over
those candidates, so every condition, sort, page and count is moto's: the index only
has to hold a superset of the matching items. It stays exact this way:
- `Table.put_item` and `Table.delete_item` (PutItem, DeleteItem, BatchWriteItem) keep
  it current, item by item;
- any other DynamoDB action (UpdateItem, transactions, PartiQL, UpdateTable, restores)
  may change items in place, so after one every index is dropped and rebuilt at the
  next query that needs it;
- candidates are checked against the table before use, so an item replaced or removed
  behind the index's back is never answered.
tests/test_moto_speedups.py runs the same queries against moto as released.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

INDEX = "_harness_partition_index"
SCALAR_TYPES = frozenset({"S", "N", "B"})  # the types a key attribute can have
# Actions that change items only through Table.put_item and Table.delete_item, or not
# at all: after any other, every index is rebuilt when next asked.
KEEPS_INDEX = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "CreateTable",
        "DeleteItem",
        "DeleteTable",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeLimits",
        "DescribeTable",
        "DescribeTimeToLive",
        "GetItem",
        "ListTables",
        "ListTagsOfResource",
        "PutItem",
        "Query",
        "Scan",
        "TagResource",
        "UntagResource",
    }
)
_lock = threading.RLock()  # moto's server is threaded; a build must not see a put halfway
_generation = [0]


class _AttributeIndex:
    """value -> {primary key -> item} for one attribute, and where each key sits."""

    __slots__ = ("attribute", "buckets", "where")

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute
        self.buckets: dict[Any, dict[Any, Any]] = {}
        self.where: dict[Any, Any] = {}

    def add(self, key: Any, item: Any) -> None:
        self.remove(key)
        value = item.attrs.get(self.attribute)
        if value is not None and value.type in SCALAR_TYPES:
            self.buckets.setdefault(value, {})[key] = item
            self.where[key] = value

    def remove(self, key: Any) -> None:
        value = self.where.pop(key, None)
        if value is not None:
            bucket = self.buckets[value]
            del bucket[key]
            if not bucket:
                del self.buckets[value]


class _TableIndex:
    __slots__ = ("attributes", "generation")

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.attributes: dict[str, _AttributeIndex] = {}


def _key(item: Any) -> tuple[Any, Any]:
    return (item.hash_key, item.range_key)


def _live_items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for group in table.items.values() for item in group.values()]
    return list(table.items.values())


def _is_live(table: Any, item: Any) -> bool:
    if table.range_key_attr:
        group = table.items.get(item.hash_key)
        return group is not None and group.get(item.range_key) is item
    return table.items.get(item.hash_key) is item


def _current(table: Any) -> _TableIndex | None:
    index: _TableIndex | None = table.__dict__.get(INDEX)
    return index if index is not None and index.generation == _generation[0] else None


def candidates(table: Any, attribute: str, value: Any) -> list[Any] | None:
    """The live items whose `attribute` may equal `value`; None when no index can say
    (a value of another type: moto walks the table as it always does)."""
    if value is None or value.type not in SCALAR_TYPES:
        return None
    with _lock:
        index = _current(table)
        if index is None:
            index = _TableIndex(_generation[0])
            table.__dict__[INDEX] = index
        attribute_index = index.attributes.get(attribute)
        if attribute_index is None:
            attribute_index = _AttributeIndex(attribute)
            for item in _live_items(table):
                attribute_index.add(_key(item), item)
            index.attributes[attribute] = attribute_index
        bucket = attribute_index.buckets.get(value)
        return [item for item in bucket.values() if _is_live(table, item)] if bucket else []


def table_candidates(table: Any, hash_key: Any) -> list[Any] | None:
    """A base-table query's candidates: the items under its hash key, looked up as moto
    looks up GetItem (DynamoType's hash and equality, the same as the walk's `==`)."""
    if hash_key is None or hash_key.type not in SCALAR_TYPES:
        return None
    found = table.items.get(hash_key)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


def invalidate() -> None:
    """Drop every index: the next query that needs one rebuilds it from the table."""
    with _lock:
        _generation[0] += 1


def install(patch: Callable[[type, str, Any], None]) -> None:
    """Keep the index current through moto's put and delete, and drop it after any
    other action that writes."""
    from moto.dynamodb.models import table
    from moto.dynamodb.responses import DynamoHandler

    original_put = table.Table.put_item
    original_delete = table.Table.delete_item
    original_call_action = DynamoHandler.call_action

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            item = original_put(self, *args, **kwargs)
            index = _current(self)
            if index is not None:
                for attribute_index in index.attributes.values():
                    attribute_index.add(_key(item), item)
            return item

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            item = original_delete(self, *args, **kwargs)
            index = _current(self)
            if index is not None and item is not None:
                for attribute_index in index.attributes.values():
                    attribute_index.remove(_key(item))
            return item

    def call_action(self: Any) -> Any:
        action = self._get_action()
        try:
            return original_call_action(self)
        finally:
            if action not in KEEPS_INDEX:
                invalidate()

    patch(table.Table, "put_item", put_item)
    patch(table.Table, "delete_item", delete_item)
    patch(DynamoHandler, "call_action", call_action)
