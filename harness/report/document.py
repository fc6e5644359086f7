"""The run's files: `report.json`, `tables/<table>.jsonl`, `logs.jsonl` and the journals.

`report.json` follows the contract in docs/cli.md ("What a run writes"): schedule, start, end, seed,
wall_seconds, virtual_seconds, fires (scheduled_time, outcome, attempts, sync_id,
records_processed) and totals; everything else is extra.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from boto3.dynamodb.types import TypeDeserializer

from mock_api import Entry

from ..errors import BadInput
from ..runtime.base import InvocationResult
from ..runtime.lambda_logging import is_json_object, iso_ms

_deserializer = TypeDeserializer()
MAX_DUMPED_OBJECTS = 10_000  # a bucket's objects written to buckets/; the rest are counted


def plain(value: Any) -> Any:
    """DynamoDB's Python values as plain JSON ones."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set) else items
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return value


def dump_table(raw_items: list[dict[str, Any]], key: str, path: Path) -> list[dict[str, Any]]:
    """Write a table's final contents (DynamoDB JSON in), one plain JSON item a line,
    sorted by key; returns them."""
    items = [plain({k: _deserializer.deserialize(v) for k, v in raw.items()}) for raw in raw_items]
    items.sort(key=lambda item: str(item.get(key, "")))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, sort_keys=True) + "\n")
    return items


def dump_tables(backend: Any, directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table of `backend` written to `directory/<table>.jsonl`; their items."""
    return {
        table: dump_table(backend.table_items(table), key, directory / f"{table}.jsonl")
        for table, key in backend.tables().items()
    }


# Where deploys keep code: the harness's artifacts, a CDK app's bootstrap assets.
_DEPLOY_BUCKET = re.compile(r"^(harness-artifacts-|cdk-[a-z0-9]+-assets-)")


def dump_buckets(s3: Any, directory: Path) -> dict[str, dict[str, Any]]:
    """Write every object of every bucket (but the deploys' own, of function zips) under
    `directory/<bucket>/<key>`, leaving out keys that would climb out of it; each
    bucket's object count and bytes."""
    names = sorted(str(b["Name"]) for b in s3.list_buckets().get("Buckets", []))
    stats: dict[str, dict[str, Any]] = {}
    for bucket in (n for n in names if not _DEPLOY_BUCKET.match(n)):
        root = directory / bucket
        objects = written = size = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                objects += 1
                size += int(entry.get("Size", 0))
                key = str(entry["Key"])
                parts = key.split("/")
                if written >= MAX_DUMPED_OBJECTS or any(p in ("", ".", "..") for p in parts):
                    continue
                target = root.joinpath(*parts)
                try:  # a key that is also another key's prefix, or a name too long
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                except OSError:
                    continue
                written += 1
        stats[bucket] = {"objects": objects, "bytes": size, "dumped": written}
    return stats


def fault_summary(source: str, rules: list[dict[str, Any]], journal: list[Entry]) -> dict[str, Any]:
    """The fault rules in force, how often each applied, and the API's answers."""
    by_status: Counter[str] = Counter(
        "no response" if e.status is None else str(e.status) for e in journal
    )
    by_fault: Counter[str] = Counter(e.fault for e in journal if e.fault)
    return {
        "source": source,
        "requests": len(journal),
        "faulted": sum(by_fault.values()),
        "by_status": dict(sorted(by_status.items())),
        "by_fault": dict(by_fault.most_common()),
        "rules": rules,
        "never_applied": [r["name"] or f"rule {r['rule']}" for r in rules if not r["applied"]],
    }


def unapplied_rule_warnings(
    api_rules: list[dict[str, Any]], aws_rules: list[dict[str, Any]]
) -> list[str]:
    """A rule that never applied injected nothing: a test that passes with it proves
    nothing about the fault, so the report says so."""
    warnings = []
    for layer, rules in (("API", api_rules), ("AWS", aws_rules)):
        for rule in rules:
            if not rule["applied"]:
                label = rule["name"] or f"rule {rule['rule']}"
                seen = (
                    f"{rule['qualified']} requests qualified"
                    if rule["qualified"]
                    else ("no request qualified")
                )
                warnings.append(
                    f"{layer} fault rule {label!r} ({rule['fault']}) never applied: {seen}"
                )
    return warnings


def write_journal(journal: list[Entry], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for entry in journal:
            out.write(json.dumps(entry.to_dict()) + "\n")


def write_report(report: dict[str, Any], report_dir: Path) -> Path:
    path = report_dir / "report.json"
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return path


OUTPUT_FILES = ("report.json", "report.html", "logs.jsonl", "journal.jsonl", "aws_journal.jsonl")


def make_writable(path: Path) -> None:
    """`path` made (with its parents) and proved writable, or BadInput saying why."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BadInput(f"report dir {str(path)!r} is not writable: {exc.strerror or exc}") from None


def prepare_report_dir(path: Path) -> Path:
    """The report directory, made, proved writable and cleared of an earlier run's
    outputs before any work starts: a new run's logs never sit beside an old report."""
    make_writable(path)
    tables, buckets = path / "tables", path / "buckets"
    for target in [*(path / name for name in OUTPUT_FILES), tables, buckets]:
        wanted_dir = target in (tables, buckets)
        if target.exists() and target.is_dir() != wanted_dir:
            kind = "a directory" if target.is_dir() else "a file"
            raise BadInput(
                f"report dir {str(path)!r}: {target.name} is {kind}; remove it or choose"
                " another --report-dir"
            )
    earlier_run = (path / "report.json").exists()
    try:
        for name in OUTPUT_FILES:
            (path / name).unlink(missing_ok=True)
        if earlier_run and tables.is_dir():  # the tables dumps of that run, and only them
            for dump in tables.glob("*.jsonl"):
                dump.unlink()
        if earlier_run and buckets.is_dir():
            shutil.rmtree(buckets)
    except OSError as exc:
        raise BadInput(f"report dir {str(path)!r}: cannot clear the earlier run: {exc}") from None
    return path


def write_logs(
    out: IO[str], result: InvocationResult, *, started: datetime, memory_mb: int
) -> None:
    """An invocation's log entries into logs.jsonl, one JSON object a line, between the
    platform's START line and its END and REPORT lines, as CloudWatch shows them. A line
    that is a JSON object is kept as it is; any other line (a worker's stderr, a
    backend's log tail) is wrapped, so that no line of any shape breaks a reader."""
    request = result.request_id
    if result.cold:  # the invoke phase starts when init ends
        started += timedelta(milliseconds=result.init_ms)
    # A backend that ran the function itself (LocalStack) wrote its own platform lines.
    own = not any(line.startswith("REPORT RequestId:") for line in result.logs)

    def platform(at: datetime, message: str) -> None:
        if not own:
            return
        entry = {"timestamp": iso_ms(at), "requestId": request, "message": message}
        out.write(json.dumps(entry) + "\n")

    platform(started, f"START RequestId: {request} Version: $LATEST")
    for line in result.logs:
        if is_json_object(line):
            out.write(line + "\n")
        else:
            out.write(json.dumps({"requestId": request, "message": line}) + "\n")
    ended = started + timedelta(milliseconds=result.duration_ms)
    platform(ended, f"END RequestId: {request}")
    platform(ended, report_line(result, memory_mb))


def report_line(result: InvocationResult, memory_mb: int) -> str:
    """Lambda's REPORT line: Duration (virtual), Billed Duration (rounded up to the
    millisecond, init included, as billed since August 2025), Memory Size, Max Memory
    Used where it was measured (a worker process's peak), Init Duration on a cold start,
    and the status of a run that timed out or crashed."""
    init = result.init_ms if result.cold else 0.0
    fields = [
        f"REPORT RequestId: {result.request_id}",
        f"Duration: {result.duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(result.duration_ms + init)} ms",
        f"Memory Size: {memory_mb} MB",
    ]
    if result.max_memory_mb is not None:
        fields.append(f"Max Memory Used: {result.max_memory_mb} MB")
    if result.cold:
        fields.append(f"Init Duration: {init:.2f} ms")
    if result.status == "timeout":
        fields.append("Status: timeout")
    elif (result.error or "").startswith("Runtime.ExitError"):
        fields += ["Status: error", "Error Type: Runtime.ExitError"]
    return "\t".join(fields) + "\t"


def timing(loop: float, invocations: float, backend: float) -> dict[str, float]:
    """Where the firing loop's wall time went: the embedded AWS, the function (and the
    API it calls), and the harness itself."""
    function = max(0.0, invocations - backend)
    harness = max(0.0, loop - invocations)
    total = loop or 1.0
    return {
        "loop_seconds": round(loop, 3),
        "backend_seconds": round(backend, 3),
        "function_seconds": round(function, 3),
        "harness_seconds": round(harness, 3),
        "backend_share": round(backend / total, 3),
        "function_share": round(function / total, 3),
        "harness_share": round(harness / total, 3),
    }


def record_stats(items: list[dict[str, Any]]) -> dict[str, int]:
    active = sum(1 for item in items if item.get("isActive"))
    return {"items": len(items), "active": active, "archived": len(items) - active}
