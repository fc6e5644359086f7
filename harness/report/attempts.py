"""What the page shows when an occurrence is opened: its attempts (status, virtual
Duration, error and stack trace) and each invocation's log lines from logs.jsonl.

logs.jsonl holds each invocation as one block, from its START line to its REPORT line;
a line without a request id of its own (a function's structured log line) belongs to
the block it is in. A year of logs does not all go into the page: failed attempts'
lines go first, then the rest in time order, within a budget; what is left out is
counted, and logs.jsonl has it all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LOG_BUDGET_BYTES = 2_000_000  # of log text embedded in the page, all invocations together
LINES_PER_ATTEMPT = 200
LINE_CHARS = 2_000


def occurrence_attempts(report: dict[str, Any]) -> list[list[list[Any]]]:
    """Per occurrence, its attempts as [at, layer, reason, status, duration ms, error,
    request id, cold]."""
    return [
        [
            [
                a.get("at"),
                a.get("layer", "lambda"),
                a.get("reason", ""),
                a.get("status"),
                a.get("duration_ms", 0),
                a.get("error"),
                a.get("request_id"),
                bool(a.get("cold")),
            ]
            for a in fire.get("attempts", [])
        ]
        for fire in report["fires"]
    ]


def invocation_logs(report: dict[str, Any], logs_path: Path) -> dict[str, dict[str, Any]]:
    """request id -> {"lines": [...], "trace": [...] or None, "more": lines left out}."""
    failed: list[str] = []
    others: list[str] = []
    for fire in report["fires"]:
        for a in fire.get("attempts", []):
            request_id = a.get("request_id")
            if request_id:
                (others if a.get("status") == "succeeded" else failed).append(request_id)
    blocks = _blocks(logs_path) if logs_path.exists() else {}
    budget = LOG_BUDGET_BYTES
    shown: dict[str, dict[str, Any]] = {}
    for request_id in failed + others:
        if request_id in shown:
            continue
        lines, trace = blocks.get(request_id, ([], None))
        kept: list[str] = []
        for line in lines[:LINES_PER_ATTEMPT]:
            if len(line) > budget:
                break
            budget -= len(line)
            kept.append(line)
        shown[request_id] = {"lines": kept, "trace": trace, "more": len(lines) - len(kept)}
    return shown


def _blocks(path: Path) -> dict[str, tuple[list[str], list[str] | None]]:
    blocks: dict[str, tuple[list[str], list[str] | None]] = {}
    current: str | None = None
    for entry in _entries(path):
        message = entry.get("message")
        request_id = entry.get("requestId") or current
        if isinstance(message, str) and message.startswith("START RequestId: "):
            current = request_id = message.split()[2]
        if not isinstance(request_id, str):
            continue
        lines, trace = blocks.setdefault(request_id, ([], None))
        if "errorType" in entry and isinstance(entry.get("stackTrace"), list):
            trace = [str(frame)[:LINE_CHARS] for frame in entry["stackTrace"][:100]]
            blocks[request_id] = (lines, trace)
        lines.append(_shown(entry)[:LINE_CHARS])
        if isinstance(message, str) and message.startswith("REPORT RequestId: "):
            current = None
    return blocks


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry


def _shown(entry: dict[str, Any]) -> str:
    """A log entry as a line of text: its time and message, or the structured entry."""
    rest = {k: v for k, v in entry.items() if k not in ("timestamp", "requestId")}
    stamp = str(entry.get("timestamp", ""))
    if set(rest) == {"message"}:
        return f"{stamp}  {rest['message']}".strip()
    return f"{stamp}  {json.dumps(rest, separators=(',', ':'))}".strip()
