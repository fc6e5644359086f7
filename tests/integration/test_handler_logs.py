"""What any handler logs lands in logs.jsonl as the Lambda Python runtime writes it: the
runtime's handler on the root logger at the level AWS_LAMBDA_LOG_LEVEL sets (Python's
WARNING without it), its text format, prints, from every thread, each entry stamped
with the virtual time and the request id; no line of any shape breaks the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.aws import EmbeddedBackend
from harness.runner import RunOptions, run

HANDLERS = Path(__file__).resolve().parents[1] / "data" / "handlers"


def _entries(backend: EmbeddedBackend, tmp_path: Path, executor: str, **env: str) -> Any:
    result = run(
        RunOptions(
            handler="timely.handler.logs_like_users_do",
            code_dir=HANDLERS,
            days=1,
            executor=executor,
            environment=env,
            latency="none",  # exact timestamps: work costs no virtual time here
            report_dir=tmp_path,
            show_progress=False,
        ),
        backend=backend,
    )
    lines = (tmp_path / "logs.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    return result, entries


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_logging_and_prints_land_as_the_runtime_writes_them(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    result, entries = _entries(harness_backend, tmp_path, executor)
    (fire,) = result.fires
    request = fire.attempts[0].request_id
    messages = [e["message"] for e in entries]

    assert messages[0] == f"START RequestId: {request} Version: $LATEST"
    assert entries[1] == {
        "timestamp": "2026-01-01T00:00:00.000Z",  # init, before the first invocation
        "requestId": "",
        "message": "init: loaded",
    }
    assert messages[-2] == f"END RequestId: {request}"
    assert messages[-1].startswith(f"REPORT RequestId: {request}\tDuration: 0.00 ms\t")
    assert "\tInit Duration: " in messages[-1]  # a cold start
    prefix = f"\t2026-01-01T02:00:00.000Z\t{request}\t"
    messages = messages[2:-2]
    assert messages == [
        # Python's WARNING stays the root level: debug and info are dropped, as on AWS.
        f"[WARNING]{prefix}a warning\nover two lines",  # one record, one entry
        messages[1],
        f"[ERROR]{prefix}from a thread",
        "{not json, printed",
        "plain text, printed",
    ]
    assert messages[1].startswith(f"[ERROR]{prefix}caught\nTraceback (most recent call last):")
    assert messages[1].endswith("ValueError: boom")
    assert all(e["requestId"] == request for e in entries[2:])
    assert all(e["timestamp"] == "2026-01-01T02:00:00.000Z" for e in entries[2:])


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_aws_lambda_log_level_lets_info_through_and_json_format_uses_aws_fields(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    _, entries = _entries(
        harness_backend,
        tmp_path,
        executor,
        AWS_LAMBDA_LOG_LEVEL="INFO",
        AWS_LAMBDA_LOG_FORMAT="JSON",
    )
    records = [e for e in entries if "level" in e]

    assert [(r["level"], r["message"], r["logger"]) for r in records] == [
        ("INFO", "an info line", "timely"),
        ("WARNING", "a warning\nover two lines", "timely"),
        ("ERROR", "caught", "timely"),
        ("ERROR", "from a thread", "timely"),
    ]
    caught = records[2]
    assert list(caught) == [
        "timestamp",
        "level",
        "message",
        "logger",
        "stackTrace",
        "errorType",
        "errorMessage",
        "requestId",
        "location",
    ]
    assert caught["timestamp"] == "2026-01-01T02:00:00Z"
    assert (caught["errorType"], caught["errorMessage"]) == ("ValueError", "boom")
    assert "{not json, printed" in [e.get("message") for e in entries]  # prints stay text
