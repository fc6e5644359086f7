"""What the page embeds for opening an occurrence: each invocation's own lines, whatever
the handler prints, failed attempts first, within a size budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.report import attempts
from harness.report.attempts import invocation_logs, occurrence_attempts


def _attempt(request_id: str, status: str = "succeeded", **more: Any) -> dict[str, Any]:
    return {"request_id": request_id, "status": status, "reason": "first delivery", **more}


def _invocation(request_id: str, *lines: Any) -> list[dict[str, Any]]:
    def platform(message: str) -> dict[str, Any]:
        return {
            "timestamp": "2026-01-01T02:00:00.000Z",
            "requestId": request_id,
            "message": message,
        }

    return [
        platform(f"START RequestId: {request_id} Version: $LATEST"),
        *lines,
        platform(f"END RequestId: {request_id}"),
        platform(f"REPORT RequestId: {request_id}\tDuration: 1.00 ms\t"),
    ]


def _write(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def test_lines_that_look_like_the_platforms_do_not_move_lines_between_invocations(
    tmp_path: Path,
) -> None:
    fake = {"timestamp": "t", "requestId": "a", "message": "START RequestId: "}
    structured = {"event": "SYNC_COMPLETED"}  # no request id of its own
    logs = _write(
        tmp_path / "logs.jsonl",
        _invocation("a", fake, structured, {"message": "START RequestId: b Version: x"})
        + _invocation("b", {"timestamp": "t", "requestId": "b", "message": "hello"}),
    )
    report = {"fires": [{"attempts": [_attempt("a")]}, {"attempts": [_attempt("b")]}]}

    shown = invocation_logs(report, logs)

    assert len(shown["a"]["lines"]) == 6  # START, the fake, the structured line, ..., REPORT
    assert '{"event":"SYNC_COMPLETED"}' in shown["a"]["lines"][2]
    assert [line.split("  ", 1)[1] for line in shown["b"]["lines"]][1] == "hello"


def test_failed_attempts_come_first_with_their_stack_trace_and_the_budget_holds(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(attempts, "LOG_BUDGET_BYTES", 2_000)
    error = {
        "errorType": "ValueError",
        "errorMessage": "boom",
        "requestId": "z",
        "stackTrace": ['  File "h.py", line 3, in handler\n'],
    }
    chatty = [{"timestamp": "t", "requestId": f"r{i}", "message": "x" * 300} for i in range(3)]
    entries = [e for i in range(5) for e in _invocation(f"r{i}", *chatty)]
    logs = _write(tmp_path / "logs.jsonl", entries + _invocation("z", error))
    report = {
        "fires": [{"attempts": [_attempt(f"r{i}")]} for i in range(5)]
        + [{"attempts": [_attempt("z", "function_error", error="ValueError: boom")]}]
    }

    shown = invocation_logs(report, logs)

    assert next(iter(shown)) == "z"
    assert shown["z"]["trace"] == ['  File "h.py", line 3, in handler\n']
    assert sum(len(line) for entry in shown.values() for line in entry["lines"]) <= 2_000
    assert len(shown) < 6  # the rest are left out, with no empty entries
    plain = occurrence_attempts(report, shown)
    assert plain[-1] is not None and plain[-1][0][5] == "ValueError: boom"
    assert plain[4] is None  # one run, succeeded first time, no lines in the page
