"""Behaviour-preserving speed-ups for moto's DynamoDB model, applied by the embedded backend.

Profiling a year of a daily sync showed moto's DynamoDB, not the function or the harness,
taking the wall time, for three reasons that grow with the table:
- every Query and Scan sorts the whole table with `DynamoType.__lt__`, which rebuilds
  each value (`cast_value`) on every comparison: n log n conversions instead of n;
- GSI queries sort the candidates the same way, after sorting the whole table first
  only to filter it by the index's hash key;
- comparing two string values goes through `cast_value` on both sides;
- the response serializer asks six alias providers, built anew for every value, which
  key to read from a plain dict before trying the key itself;
- the request parser visits all ten members of every AttributeValue to find the one
  that is there;
- an item's 400 KB limit is re-checked on every attribute insert, by re-measuring every
  attribute already present: quadratic in the attribute count;
- the JSON serializer visits all ten members of every AttributeValue it answers with,
  and reads each key of a plain dict by raising and catching KeyError when it is absent;
- every request lists its handler class's methods with `inspect.getmembers`;
- every Query walks the whole table (see moto_index: a partition index).

The replacements sort by the same cast values computed once per item (the order is
identical: `__lt__` compares exactly those values), skip the first sort in GSI queries
(the candidates are fully re-sorted by a total order, so the input order cannot show),
compare strings, binaries and booleans directly (their cast value is the value), work
out the candidate keys for a plain dict once per (key, shape) instead of per value
(what the providers answer for a dict depends on nothing else), parse a one-key JSON
structure by looking its key up (the result holds that one member either way), and
check the size limit once per item (sizes are non-negative, so a prefix passes the
limit only if the whole item does), serialize only the members a plain dict holds a
candidate key for (the others serialize to nothing), look keys up with `dict.get`, and
list a class's methods once. tests/test_moto_speedups.py compares them with moto's
originals.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import moto

from . import moto_index

PATCHED_VERSION = "5.2.5"
_applied = False
_originals: dict[tuple[type, str], Any] = {}
_module_originals: dict[tuple[ModuleType, str], Any] = {}
_PLAIN_TYPES = frozenset({"S", "B", "BOOL"})
_in_index_query = threading.local()


def _item_sort_key(x: Any) -> Any:
    return (x.hash_key.cast_value, x.range_key.cast_value) if x.range_key else x.hash_key.cast_value


def _patch(owner: type, name: str, replacement: Any) -> None:
    _originals[(owner, name)] = owner.__dict__[name]
    setattr(owner, name, replacement)


def _patch_module(module: ModuleType, name: str, replacement: Any) -> None:
    _module_originals[(module, name)] = getattr(module, name)
    setattr(module, name, replacement)


@contextmanager
def disabled() -> Iterator[None]:
    """moto as released, for the duration (tests compare the two)."""
    patched = {(owner, name): owner.__dict__[name] for owner, name in _originals}
    module_patched = {(m, name): getattr(m, name) for m, name in _module_originals}
    for (owner, name), original in _originals.items():
        setattr(owner, name, original)
    for (module, name), original in _module_originals.items():
        setattr(module, name, original)
    try:
        yield
    finally:
        for (owner, name), replacement in patched.items():
            setattr(owner, name, replacement)
        for (module, name), replacement in module_patched.items():
            setattr(module, name, replacement)
        moto_index.invalidate()  # writes made meanwhile did not reach the index


def apply() -> bool:
    """Install the speed-ups once; returns False (leaving moto alone) on another version."""
    global _applied
    if _applied:
        return True
    if moto.__version__ != PATCHED_VERSION:
        return False
    from moto.core import parse, responses, serialize
    from moto.core.constants import MISSING
    from moto.core.utils import get_value
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type, table
    from moto.dynamodb.models.utilities import bytesize

    DynamoType, Item, LimitedSizeDict = (
        dynamo_type.DynamoType,
        dynamo_type.Item,
        dynamo_type.LimitedSizeDict,
    )

    original_eq, original_ne, original_lt = DynamoType.__eq__, DynamoType.__ne__, DynamoType.__lt__
    original_query = table.Table.query
    original_hash = DynamoType.__hash__

    def eq(self: Any, other: Any) -> bool:
        if self.type == other.type and self.type in _PLAIN_TYPES:
            return bool(self.value == other.value)
        return bool(original_eq(self, other))

    def ne(self: Any, other: Any) -> bool:
        if self.type == other.type and self.type in _PLAIN_TYPES:
            return bool(self.value != other.value)
        return bool(original_ne(self, other))

    def lt(self: Any, other: Any) -> bool:
        if self.type == other.type and self.type in _PLAIN_TYPES:
            return bool(self.value < other.value)
        return bool(original_lt(self, other))

    query_index_position = 7  # Table.query(hash_key, ..., projection_expressions, index_name

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = (
            args[query_index_position]
            if len(args) > query_index_position
            else kwargs.get("index_name")
        )
        hash_key = args[0] if args else kwargs.get("hash_key")
        if index_name is None:
            narrowed = moto_index.table_candidates(self, hash_key)
        else:
            conditions = kwargs.get("hash_key_conditions") or []
            narrowed = moto_index.candidates(self, *conditions[0]) if conditions else None
        _in_index_query.active = index_name is not None
        _in_index_query.candidates = narrowed
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _in_index_query.active = False
            _in_index_query.candidates = None

    def all_items(self: Any) -> list[Any]:
        narrowed = getattr(_in_index_query, "candidates", None)
        if narrowed is not None:  # a query's partition (moto's loop filters it as ever)
            _in_index_query.candidates = None  # one walk per query
            items: list[Any] = narrowed
            if getattr(_in_index_query, "active", False):
                return items
            return sorted(items, key=_item_sort_key)
        items = []
        for hash_set in self.items.values():
            if self.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)
        if getattr(_in_index_query, "active", False):
            return items
        return sorted(items, key=_item_sort_key)

    def sorted_items(
        self: Any, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> list[Any]:
        attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda x: tuple(x.attrs[key].cast_value for key in attrs))
        return items

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        built = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(built)
        total = 0
        for key, value in attrs.items():
            typed = DynamoType(value)
            total += bytesize(key) + typed.size()
            dict.__setitem__(built, key, typed)
        if total > 405000:  # moto's limit, checked once instead of per attribute
            raise ItemSizeTooLarge
        self.attrs = built

    picker = serialize.AttributePicker
    original_pick = picker.__call__
    providers = serialize.DEFAULT_ALIAS_PROVIDERS
    candidates_by_shape: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def pick(self: Any, context: Any) -> Any:
        obj = context.obj
        if type(obj) is not dict or self.alias_providers is not providers:
            return original_pick(self, context)
        # For a plain dict the candidate keys depend only on the key and its shape
        # (dicts have no Meta and one class name), so they are worked out once.
        shape = context.shape
        parent = getattr(shape, "parent", None)
        cache_key = (
            type(self),
            context.service_model.service_name,
            context.key,
            getattr(shape, "name", None),
            getattr(parent, "name", None),
        )
        candidates = candidates_by_shape.get(cache_key)
        if candidates is None:
            candidates = tuple(self.get_possible_keys(context))
            candidates_by_shape[cache_key] = candidates
        value = None
        for candidate in candidates:
            # get_value on a plain dict is `obj[key]` or its default (a dotted key walks
            # a path): a lookup, without raising and catching KeyError for each miss.
            found = (
                obj.get(candidate, MISSING)
                if "." not in candidate
                else get_value(obj, candidate, MISSING)
            )
            if found is not MISSING:
                value = found
                break
        key_path = f"{context.key_path}.{context.key}"
        for transform_path, transform in self.response_transformers.items():
            if key_path.endswith(transform_path):
                return transform(value)
        return value

    _patch(picker, "__call__", pick)

    # Every request asks which functions its handler class has (inspect.getmembers over
    # the class and its bases) to see whether the action is one: the answer is the
    # class's, worked out once per class.
    original_method_names = getattr(responses, "method_names_from_class")  # noqa: B009
    method_names_by_class: dict[type, frozenset[str]] = {}

    def method_names(clazz: Any) -> frozenset[str]:
        names = method_names_by_class.get(clazz)
        if names is None:
            names = frozenset(original_method_names(clazz))
            method_names_by_class[clazz] = names
        return names

    _patch_module(responses, "method_names_from_class", method_names)

    serializer = serialize.ResponseSerializer
    original_structure: Any = serializer._serialize_type_structure
    plans: dict[tuple[Any, ...], tuple[dict[str, frozenset[str]], bool, dict[str, str]]] = {}
    plain_by_class: dict[type, bool] = {}
    json_serializer = serialize.BaseJSONSerializer

    def plain(cls: type) -> bool:
        """The class serializes a string member as the string and a boolean as the bool,
        under the member's own name (moto's JSON serializers, none overriding a step)."""
        known = plain_by_class.get(cls)
        if known is None:
            steps = (
                "_serialize",
                "_default_serialize",
                "_serialize_structure_member",
                "get_value",
                "get_serialized_name",
            )
            known = (
                all(getattr(cls, step) is getattr(serializer, step) for step in steps)
                and getattr(cls, "_serialize_type_string", None)
                is json_serializer.__dict__["_serialize_type_string"]
                and getattr(cls, "_serialize_type_boolean", None) is None
            )
            plain_by_class[cls] = known
        return known

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        chooser = self._value_picker
        if (
            type(value) is not dict
            or not isinstance(self, serialize.BaseJSONSerializer)
            or type(chooser).__call__ is not pick
            or chooser.alias_providers is not providers
            or chooser.response_transformers
        ):
            return original_structure(self, serialized, value, shape, key)  # type: ignore[no-any-return]
        # A member none of whose candidate keys the dict holds serializes to nothing, so
        # only the members the dict can answer are visited, in the shape's order (an
        # AttributeValue holds one of its ten).
        service = self.operation_model.service_model.service_name
        plan_key = (service, shape)
        plan = plans.get(plan_key)
        if plan is None:
            members_of: dict[str, set[str]] = {}
            dotted = False
            for member_key, member_shape in shape.members.items():
                member_shape.parent = shape
                context = serialize.AttributePickerContext(
                    obj=value,
                    key=member_key,
                    shape=member_shape,
                    operation_model=self.operation_model,
                    service_model=self.operation_model.service_model,
                )
                for candidate in chooser.get_possible_keys(context):
                    dotted = dotted or "." in candidate
                    members_of.setdefault(candidate, set()).add(member_key)
            # Members a one-key dict can be written out from as they are: a string or a
            # boolean under its own name, which no other member's candidate keys reach.
            simple = {
                member_key: member_shape.type_name
                for member_key, member_shape in shape.members.items()
                if member_shape.type_name in ("string", "boolean")
                and not member_shape.serialization
                and members_of.get(member_key) == {member_key}
            }
            plan = ({k: frozenset(v) for k, v in members_of.items()}, dotted, simple)
            plans[plan_key] = plan
        members_of_key, dotted, simple = plan
        if dotted:
            return original_structure(self, serialized, value, shape, key)  # type: ignore[no-any-return]
        if len(value) == 1 and plain(type(self)):
            ((name, member_value),) = value.items()
            kind = simple.get(name)
            if (kind == "string" and type(member_value) is str) or (
                kind == "boolean" and type(member_value) is bool
            ):
                # What the member's serializer writes: str(value) is the value, and a
                # boolean goes as it is (an AttributeValue's S, N, BOOL or NULL).
                shape.members[name].parent = shape
                if key:
                    single = self.MAP_TYPE()
                    single[name] = member_value
                    self._default_serialize(serialized, single, shape, key)
                else:
                    serialized[name] = member_value
                return None
        hit: set[str] = set()
        for present in value:
            found = members_of_key.get(present)
            if found:
                hit |= found
        wrapper: Any = self.MAP_TYPE() if key else serialized
        for member_key, member_shape in shape.members.items():
            if member_key in hit:
                member_shape.parent = shape
                self._serialize_structure_member(wrapper, value, member_shape, member_key)
        if key:
            self._default_serialize(serialized, wrapper, shape, key)
        return None

    _patch(serializer, "_serialize_type_structure", serialize_structure)

    json_parser = parse.BaseJSONParser
    original_parse_structure: Any = json_parser._parse_structure
    members_by_json_name: dict[Any, dict[str, str]] = {}

    def parse_structure(self: Any, shape: Any, value: Any) -> Any:
        if shape.is_document_type or type(value) is not dict or len(value) != 1:
            return original_parse_structure(self, shape, value)
        names = members_by_json_name.get(shape)  # service models are cached: shapes live on
        if names is None:
            names = {
                member.serialization.get("name", name): name
                for name, member in shape.members.items()
            }
            members_by_json_name[shape] = names
        parsed = self.MAP_TYPE()
        ((json_name, raw_value),) = value.items()
        member_name = names.get(json_name)
        if member_name is not None and raw_value is not None:
            parsed[member_name] = self._parse_shape(shape.members[member_name], raw_value)
        return parsed

    _patch(json_parser, "_parse_structure", parse_structure)
    _patch(DynamoType, "__eq__", eq)
    _patch(DynamoType, "__ne__", ne)
    _patch(DynamoType, "__lt__", lt)
    _patch(DynamoType, "__hash__", original_hash)  # defining __eq__ would drop it
    _patch(table.Table, "query", query)
    _patch(table.Table, "all_items", all_items)
    _patch(table.Table, "sorted_items", sorted_items)
    _patch(Item, "__init__", item_init)
    moto_index.install(_patch)
    _applied = True
    return True
