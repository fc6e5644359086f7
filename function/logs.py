"""Structured JSON logs, one object a line on stdout (what CloudWatch Logs ingests).

Secrets registered with `redact` are scrubbed from every line as a last line of defence;
the code never logs headers or the token in the first place.
"""

from __future__ import annotations

import json
from typing import Any

from .clock import Clock, iso_ms

# The seed's levels. SUCCESS and PERFORMANCE report outcomes and timings: shown at INFO
# and below, hidden by LOG_LEVEL=WARN or ERROR, as INFO lines are.
_RANK = {"DEBUG": 10, "PERFORMANCE": 20, "INFO": 20, "SUCCESS": 25, "WARN": 30, "ERROR": 40}
METRIC_NAMESPACE = "ScheduledSync"


class StructuredLogger:
    def __init__(
        self,
        *,
        level: str,
        environment: str,
        function_name: str,
        request_id: str,
        clock: Clock,
    ) -> None:
        self._threshold = _RANK[level]
        self._environment = environment
        self._function_name = function_name
        self._request_id = request_id
        self._clock = clock
        self._secrets: list[str] = []

    def redact(self, secret: str) -> None:
        if secret:
            self._secrets.append(secret)

    def debug(self, event: str, **metadata: Any) -> None:
        self._emit("DEBUG", event, metadata)

    def info(self, event: str, **metadata: Any) -> None:
        self._emit("INFO", event, metadata)

    def warn(self, event: str, **metadata: Any) -> None:
        self._emit("WARN", event, metadata)

    def error(self, event: str, **metadata: Any) -> None:
        self._emit("ERROR", event, metadata)

    def success(self, event: str, **metadata: Any) -> None:
        self._emit("SUCCESS", event, metadata)

    def performance(self, event: str, **metadata: Any) -> None:
        self._emit("PERFORMANCE", event, metadata)

    def metrics(self, **values: tuple[float, str]) -> None:
        """Publish `values` ({name: (value, unit)}) as CloudWatch metrics in Embedded
        Metric Format: CloudWatch Logs turns this one line into datapoints of the
        namespace's metrics, by function, with no PutMetricData call."""
        document = {
            "_aws": {
                "Timestamp": int(self._clock.now().timestamp() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [["FunctionName"]],
                        "Metrics": [{"Name": n, "Unit": unit} for n, (_, unit) in values.items()],
                    }
                ],
            },
            "FunctionName": self._function_name,
            "requestId": self._request_id,
            **{name: value for name, (value, _) in values.items()},
        }
        print(json.dumps(document, separators=(",", ":")))

    def _emit(self, level: str, event: str, metadata: dict[str, Any]) -> None:
        if _RANK[level] < self._threshold:
            return
        line = json.dumps(
            {
                "timestamp": iso_ms(self._clock.now()),
                "level": level,
                "event": event,
                "metadata": metadata,
                "environment": self._environment,
                "functionName": self._function_name,
                "requestId": self._request_id,
            },
            default=str,
            separators=(",", ":"),
        )
        for secret in self._secrets:
            line = line.replace(secret, "***")
        # print() looks sys.stdout up at call time, so a runtime that captures stdout
        # per invocation sees every line.
        print(line)
