"""Logging as the Lambda Python runtime sets it up, and what an invocation writes.

The runtime interface client (awslambdaric's `bootstrap.py`) puts one handler on the
root logger. Its level comes from `AWS_LAMBDA_LOG_LEVEL` when that is set (`TRACE` is
`DEBUG`); otherwise the root logger keeps Python's `WARNING`, so `logger.info` is
dropped unless the function sets a level, on AWS as here. A record is written as text,
`[LEVEL]\\t<UTC time>.mmmZ\\t<request id>\\t<message>`, or, with
`AWS_LAMBDA_LOG_FORMAT=JSON`, as one JSON object with AWS's field names in AWS's order.

`InvocationOutput` is what the function's stdout becomes during an invocation: each line
(a `print`, a log record) becomes one entry of logs.jsonl, stamped with the virtual time
it was written and the request id. A line that is a JSON object (the function's own
structured logs, its EMF metrics) is kept as it is. One log record is one entry even
when its message spans lines, as it is one CloudWatch event.

Only what runs on the handler's threads (those `virtual_time` has bound) is the
function's: in process, the harness's own threads log as before.

Like `virtual_time`, this imports nothing of the harness: the worker loads it by path.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
TEXT_DATEFMT = "%Y-%m-%dT%H:%M:%S"
_KEEP_LINE = "\r"  # a record's own line breaks, kept inside its one entry


def root_level(environment: Mapping[str, str]) -> int | None:
    """The root logger's level the runtime sets, or None (Python's WARNING stays)."""
    name = environment.get("AWS_LAMBDA_LOG_LEVEL", "").strip().upper()
    if not name:
        return None
    name = "DEBUG" if name == "TRACE" else name
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else None


class _JsonFormatter(logging.Formatter):
    """The runtime's JSON records: timestamp, level, message, logger, the exception's
    fields when there is one, requestId, location; `None`s left out."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        fields: dict[str, Any] = {
            "timestamp": stamp,
            "level": logging.getLevelName(record.levelno // 10 * 10),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields["stackTrace"] = traceback.format_tb(exc.__traceback__)
            fields["errorType"] = type(exc).__name__
            fields["errorMessage"] = str(exc)
        fields["requestId"] = getattr(record, "aws_request_id", "")
        if record.exc_info:
            fields["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        return json.dumps({k: v for k, v in fields.items() if v is not None}, default=str)


class RuntimeLogHandler(logging.Handler):
    """The runtime's root handler: records from the function's threads, formatted as
    the runtime formats them, written to the invocation's output."""

    def __init__(self, request_id: Callable[[], str | None], json_format: bool = False) -> None:
        super().__init__()
        self._request_id = request_id
        if json_format:
            self.setFormatter(_JsonFormatter())
        else:
            formatter = logging.Formatter(TEXT_FORMAT, TEXT_DATEFMT)
            formatter.converter = time.gmtime  # the runtime sets it class-wide
            self.setFormatter(formatter)

    def filter(self, record: logging.LogRecord) -> bool:
        request = self._request_id()
        if request is None:  # not the function's thread
            return False
        record.aws_request_id = request
        return super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record).replace("\n", _KEEP_LINE)
            sys.stdout.write(text + "\n")
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


class InvocationOutput(io.TextIOBase):
    """The function's stdout during an invocation: complete lines become log entries,
    each with the virtual time it was written at and the request id."""

    def __init__(self, request_id: str, now: Callable[[], datetime]) -> None:
        self._request_id = request_id
        self._now = now
        self._partial = ""
        self._lock = threading.Lock()
        self._entries: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._partial = (self._partial + text).split("\n")
            for line in lines:
                self._entries.append(self._entry(line))
        return len(text)

    def close_lines(self) -> list[str]:
        """Every entry, the last unfinished line too."""
        with self._lock:
            if self._partial:
                self._entries.append(self._entry(self._partial))
                self._partial = ""
            return list(self._entries)

    def _entry(self, line: str) -> str:
        if is_json_object(line):
            return line
        return json.dumps(
            {
                "timestamp": iso_ms(self._now()),
                "requestId": self._request_id,
                "message": line.replace(_KEEP_LINE, "\n"),
            }
        )


def is_json_object(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def iso_ms(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
