"""`--data DIR`: what a stack holds before its first occurrence.

    DIR/dynamodb/<table>.jsonl   one item a line: plain JSON, or DynamoDB JSON when typed
    DIR/s3/<bucket>/<key path>   each file an object
    DIR/secrets/<name>           a secret's value (the file's text)

A table, bucket or secret is named by its logical id in the template or by its
physical name. Buckets and secrets the stack lacks are created (a function often reads
a secret made outside its stack); a table must be the stack's, for its key schema.
Everything is checked before anything is written, so bad data is one line and exit 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import BadInput
from .embedded_stack import StackResource

KINDS = ("dynamodb", "s3", "secrets")
MAX_FILES = 10_000
MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit
MAX_TABLE_FILE_BYTES = 1024**3
MAX_OBJECT_BYTES = 100 * 1024**2
MAX_SECRET_BYTES = 65_536  # Secrets Manager's SecretString limit
MAX_DEPTH = 32  # DynamoDB's nesting limit for a document
_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
_serializer = TypeSerializer()


@dataclass
class SeedData:
    """What `--data` put in: item, object and secret counts by physical name."""

    items: dict[str, int] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    def to_report(self) -> dict[str, Any]:
        return {"items": self.items, "objects": self.objects, "secrets": self.secrets}


def check_data_dir(data: Path | None) -> None:
    """The directory exists and holds only what `--data` reads."""
    if data is None:
        return
    if not os.path.isdir(data):  # False for any bad name (too long, a NUL byte)
        raise BadInput(f"--data {str(data)!r} is not a directory")
    unknown = sorted(p.name for p in data.iterdir() if p.name not in KINDS)
    if unknown:
        raise BadInput(
            f"--data {data}: {', '.join(unknown)} is not one of {', '.join(k + '/' for k in KINDS)}"
        )
    files = sum(1 for p in data.rglob("*") if p.is_file())
    if files > MAX_FILES:
        raise BadInput(f"--data {data} holds {files:,} files; at most {MAX_FILES:,}")


def prepare_stack(
    backend: Any,
    deployed: Any,  # provision.Deployed
    data: Path | None,
    hook: Callable[[DeployedStack], None] | None,
) -> SeedData | None:
    """The stack's contents before the first occurrence: `data`, then the hook."""
    stack = deployed.stack
    seeded = load_data(backend, data, stack.resources) if data is not None else None
    if hook is not None:
        hook(DeployedStack(backend, stack.physical_ids(), dict(stack.outputs)))
    return seeded


def load_data(backend: Any, data: Path, resources: list[StackResource]) -> SeedData:
    """Put `data` into the deployed stack on `backend`."""
    check_data_dir(data)
    names = _Names(resources)
    tables = [(names.table(p), list(_items(p))) for p in _files(data / "dynamodb", ".jsonl")]
    objects = [
        (names.physical(bucket.name, "AWS::S3::Bucket"), list(_objects(bucket)))
        for bucket in sorted((data / "s3").iterdir() if (data / "s3").is_dir() else [])
        if bucket.is_dir()
    ]
    secrets = [
        (names.physical(p.name, _SECRET), _secret(p), p.name) for p in _files(data / "secrets")
    ]
    try:
        return _write(backend, tables, objects, secrets)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise BadInput(f"--data {data}: {error.get('Code')}: {error.get('Message')}") from None
    except BotoCoreError as exc:  # botocore's own checks: a bucket name, a typed value
        raise BadInput(f"--data {data}: {' '.join(str(exc).split())}") from None


def _write(
    backend: Any,
    tables: list[tuple[str, list[dict[str, Any]]]],
    objects: list[tuple[str, list[tuple[str, Path]]]],
    secrets: list[tuple[str, str, str]],
) -> SeedData:
    seeded = SeedData()
    for table, items in tables:
        _write_items(backend.client("dynamodb"), table, items)
        seeded.items[table] = seeded.items.get(table, 0) + len(items)
    s3 = backend.client("s3")
    for bucket, files in objects:
        ensure_bucket(s3, bucket)
        for key, path in files:
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        seeded.objects[bucket] = len(files)
    for secret, value, name in secrets:
        _put_secret(backend.client("secretsmanager"), secret, value)
        seeded.secrets.append(name)  # as the user named it (an ARN's suffix is random)
    return seeded


_SECRET = "AWS::SecretsManager::Secret"


@dataclass(frozen=True)
class DeployedStack:
    """What a hook between the deploy and the first occurrence gets: the stack's
    resources and outputs, and clients of the backend it is deployed on."""

    backend: Any
    resources: dict[str, str]  # logical id -> physical id (a table's name, a queue's URL)
    outputs: dict[str, str]

    def client(self, service: str) -> Any:
        """A boto3 client of the backend (`stack.client("dynamodb")`)."""
        return self.backend.client(service)

    def name(self, logical_id: str) -> str:
        """The physical name of a resource of the template."""
        if logical_id not in self.resources:
            known = ", ".join(sorted(self.resources))
            raise KeyError(f"no resource {logical_id!r} in the stack (resources: {known})")
        return self.resources[logical_id]


class _Names:
    def __init__(self, resources: list[StackResource]) -> None:
        self._resources = resources

    def physical(self, name: str, kind: str) -> str:
        for resource in self._resources:
            if resource.type == kind and name in (resource.logical_id, resource.physical_id):
                return resource.physical_id
        return name

    def table(self, path: Path) -> str:
        name = path.name.removesuffix(".jsonl")
        tables = [r for r in self._resources if r.type == "AWS::DynamoDB::Table"]
        for table in tables:
            if name in (table.logical_id, table.physical_id):
                return table.physical_id
        known = ", ".join(f"{t.logical_id} ({t.physical_id})" for t in tables) or "none"
        raise BadInput(f"{path}: the stack has no table {name!r}; its tables: {known}")


def _files(directory: Path, suffix: str = "") -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(suffix))


def _items(path: Path) -> Iterator[dict[str, Any]]:
    if path.stat().st_size > MAX_TABLE_FILE_BYTES:
        raise BadInput(f"{path} is over {MAX_TABLE_FILE_BYTES // 1024**3} GiB")
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            if len(line) > MAX_ITEM_BYTES:
                raise BadInput(f"{where}: an item over 400 KB (DynamoDB's limit)")
            try:
                item = json.loads(line, parse_float=Decimal)
            except (ValueError, RecursionError) as exc:
                reason = str(exc).split("\n")[0] if isinstance(exc, ValueError) else "too deep"
                raise BadInput(f"{where}: not a JSON item ({reason})") from None
            yield _typed(item, where)


def _typed(item: Any, where: str) -> dict[str, Any]:
    """The item as DynamoDB JSON: kept when it is already typed, else serialized."""
    if not isinstance(item, dict) or not item:
        raise BadInput(f"{where}: an item is a JSON object with at least its key attributes")
    if _depth(item) > MAX_DEPTH:
        raise BadInput(f"{where}: nested more than {MAX_DEPTH} levels (DynamoDB's limit)")
    typed = all(
        isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPES
        for value in item.values()
    )
    if typed:
        return item
    try:
        return {key: _serializer.serialize(value) for key, value in item.items()}
    except (TypeError, ValueError, ArithmeticError) as exc:  # decimal's Clamped, Inexact...
        reason = (
            " ".join(str(exc).split()) or f"a number DynamoDB cannot hold ({type(exc).__name__})"
        )
        raise BadInput(f"{where}: {reason}") from None


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
    return depth - 1


def _write_items(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        pending: dict[str, Any] = {table: requests}
        while pending:
            answer = dynamodb.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}


def _objects(bucket: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(bucket.rglob("*")):
        if path.is_file():
            if path.stat().st_size > MAX_OBJECT_BYTES:
                raise BadInput(f"{path} is over {MAX_OBJECT_BYTES // 1024**2} MiB")
            yield path.relative_to(bucket).as_posix(), path


def ensure_bucket(s3: Any, bucket: str) -> None:
    """The bucket, created unless it is there already."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)


def _secret(path: Path) -> str:
    if path.stat().st_size > MAX_SECRET_BYTES:
        raise BadInput(f"{path} is over 64 KiB (Secrets Manager's limit for a secret)")
    try:
        return path.read_text(encoding="utf-8").removesuffix("\n")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: a secret's value is UTF-8 text") from None


def _put_secret(secrets: Any, secret: str, value: str) -> None:
    try:
        secrets.put_secret_value(SecretId=secret, SecretString=value)
    except secrets.exceptions.ResourceNotFoundException:
        secrets.create_secret(Name=secret, SecretString=value)
