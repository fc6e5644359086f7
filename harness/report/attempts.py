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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG_BUDGET_BYTES = 1_500_000  # of log text and traces in the page, all invocations together
LINES_PER_ATTEMPT = 200
LINE_CHARS = 2_000
ERROR_CHARS = 1_000
_START = re.compile(r"^START RequestId: (\S+) Version: ")
_REPORT = re.compile(r"^REPORT RequestId: (\S+)\t")
_PLATFORM_KEYS = {"timestamp", "requestId", "message"}


def occurrence_attempts(
    report: dict[str, Any], logs: dict[str, dict[str, Any]]
) -> list[list[list[Any]] | None]:
    """Per occurrence, its attempts as [at, layer, reason, status, duration ms, error,
    request id, cold]; None for the plain ones (one run, succeeded, first delivery, no
    log lines in the page), which the page tells from the timeline's own data. A year
    of 15-minute fires stays small so."""
    shown: list[list[list[Any]] | None] = []
    for fire in report["fires"]:
        attempts = fire.get("attempts", [])
        if (
            len(attempts) == 1
            and attempts[0].get("status") == "succeeded"
            and attempts[0].get("reason", "first delivery") == "first delivery"
            and attempts[0].get("request_id") not in logs
        ):
            shown.append(None)
            continue
        shown.append(
            [
                [
                    a.get("at"),
                    a.get("layer", "lambda"),
                    a.get("reason", ""),
                    a.get("status"),
                    a.get("duration_ms", 0),
                    str(a["error"])[:ERROR_CHARS] if a.get("error") else None,
                    a.get("request_id"),
                    bool(a.get("cold")),
                ]
                for a in attempts
            ]
        )
    return shown


def invocation_logs(report: dict[str, Any], logs_path: Path) -> dict[str, dict[str, Any]]:
    """request id -> {"lines": [...], "trace": [...] or None, "more": lines left out},
    failed attempts first, then the others in time order, within the budget; an
    invocation with nothing in the page has no entry."""
    failed: list[str] = []
    others: list[str] = []
    for fire in report["fires"]:
        for a in fire.get("attempts", []):
            request_id = a.get("request_id")
            if isinstance(request_id, str) and request_id:
                (others if a.get("status") == "succeeded" else failed).append(request_id)
    wanted = dict.fromkeys(failed + others)  # ordered, each once
    blocks = _blocks(logs_path, set(wanted)) if logs_path.exists() else {}
    budget = LOG_BUDGET_BYTES
    shown: dict[str, dict[str, Any]] = {}
    for request_id in wanted:
        block = blocks.get(request_id)
        if block is None or budget <= 0:
            continue
        trace = block.trace
        if trace is not None:
            budget -= sum(len(frame) for frame in trace)
        kept: list[str] = []
        for line in block.lines:
            if len(line) > budget:
                break
            budget -= len(line)
            kept.append(line)
        if kept or trace:
            more = block.count - len(kept)
            shown[request_id] = {"lines": kept, "trace": trace, "more": more}
    return shown


@dataclass
class _Block:
    lines: list[str] = field(default_factory=list)  # the first LINES_PER_ATTEMPT
    count: int = 0  # all of them
    trace: list[str] | None = None


def _blocks(path: Path, wanted: set[str]) -> dict[str, _Block]:
    """The wanted invocations' lines, read in one pass, at most LINES_PER_ATTEMPT each."""
    blocks: dict[str, _Block] = {}
    current: str | None = None
    for entry in _entries(path):
        message = entry.get("message")
        platform = set(entry) == _PLATFORM_KEYS and isinstance(message, str)
        start = _START.match(message) if platform else None  # type: ignore[arg-type]
        if start and start.group(1) == entry["requestId"]:
            current = start.group(1)
        request_id = entry.get("requestId") or current
        if isinstance(request_id, str) and request_id in wanted:
            block = blocks.setdefault(request_id, _Block())
            if "errorType" in entry and isinstance(entry.get("stackTrace"), list):
                block.trace = [str(frame)[:LINE_CHARS] for frame in entry["stackTrace"][:100]]
            block.count += 1
            if len(block.lines) < LINES_PER_ATTEMPT:
                block.lines.append(_shown(entry)[:LINE_CHARS])
        end = _REPORT.match(message) if platform else None  # type: ignore[arg-type]
        if end and end.group(1) == entry["requestId"]:
            current = None
    return blocks


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
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
