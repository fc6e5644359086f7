"""The run's files: `report.json`, `tables/<table>.jsonl`, `logs.jsonl` and the journals.

`report.json` follows the contract in docs/cli.md ("What a run writes"): schedule, start, end, seed,
wall_seconds, virtual_seconds, fires (scheduled_time, outcome, attempts, sync_id,
records_processed) and totals; everything else is extra.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from boto3.dynamodb.types import TypeDeserializer

from mock_api import Entry

from ..errors import BadInput
from ..runtime.base import InvocationResult
from ..runtime.lambda_logging import is_json_object

_deserializer = TypeDeserializer()


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


def prepare_report_dir(path: Path) -> Path:
    """The report directory, made and proved writable before any work starts."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BadInput(f"report dir {str(path)!r} is not writable: {exc.strerror or exc}") from None
    return path


def write_logs(out: IO[str], result: InvocationResult) -> None:
    """An invocation's log entries into logs.jsonl, one JSON object a line: a line that
    is a JSON object as it is, any other line (a worker's stderr, a backend's log tail)
    wrapped, so that no line of any shape breaks a reader of the file."""
    for line in result.logs:
        if is_json_object(line):
            out.write(line + "\n")
        else:
            out.write(json.dumps({"requestId": result.request_id, "message": line}) + "\n")


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
