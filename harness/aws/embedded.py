"""The embedded AWS: moto's server in this process, on a free loopback port.

A WSGI middleware counts the time spent answering AWS calls, so a run can say how much
of its wall time went to the emulated AWS rather than to the function or the harness.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

import boto3
import botocore.session
import httpx
from botocore.config import Config as BotoConfig

from .wsgi_server import WsgiServer, drain

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class _TimedApp:
    """moto's app, timed: `seconds` is the wall time during which it was answering at
    least one request. Requests answered at once (the function's parallel writers, each
    on its own thread) overlap; summing each one's time would count those seconds twice."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.requests = 0
        self._active = 0
        self._busy_since = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if self._active == 0:
                self._busy_since = time.perf_counter()
            self._active += 1
        try:
            return drain(self._app(environ, start_response))
        finally:
            with self._lock:
                self._active -= 1
                self.requests += 1
                if self._active == 0:
                    self.seconds += time.perf_counter() - self._busy_since


@functools.cache
def shared_botocore_session() -> botocore.session.Session:
    """One botocore session for the process: it caches the service models, which take
    a fifth of a second of JSON parsing per client when every session loads its own."""
    return botocore.session.get_session()


@functools.cache
def _harness_session(region: str) -> boto3.session.Session:
    # One boto3 session too: each one registers its handlers on the botocore session.
    return boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
        botocore_session=shared_botocore_session(),
    )


@dataclass(frozen=True)
class BackendUsage:
    requests: int
    seconds: float


class EmbeddedBackend(WsgiServer):
    """moto server on 127.0.0.1; moto's state is per process, so one at a time."""

    name = "embedded"

    def __init__(self, region: str = REGION) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        from . import moto_speedups

        moto_speedups.apply()

        class _Dispatcher(DomainDispatcherApplication):
            """Remembers which service answers a host: moto walks its package
            directory on disk to find out, on every request."""

            def __init__(self) -> None:
                super().__init__(create_backend_app)
                self._backend_by_host: dict[str | None, Any] = {}

            def get_backend_for_host(self, host: str | None) -> Any:
                if host not in self._backend_by_host:
                    self._backend_by_host[host] = super().get_backend_for_host(host)
                return self._backend_by_host[host]

        self.region = region
        self.account = ACCOUNT
        self._app = _TimedApp(_Dispatcher())
        super().__init__(self._app, handler=MotoRequestHandler)
        self.endpoint_url = self.url
        self._clients: dict[str, Any] = {}

    def start(self) -> Self:
        super().start()
        self.reset()
        return self

    def reset(self) -> None:
        """Forget every resource: moto's backends are global to the process."""
        httpx.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()

    def usage(self) -> BackendUsage:
        return BackendUsage(self._app.requests, self._app.seconds)

    def table_items(self, table: str) -> list[dict[str, Any]]:
        """A table's items in DynamoDB JSON, read from moto's model in this process.

        What a Scan returns, without moto serialising every page: that costs seconds
        per thousand items.
        """
        from moto.dynamodb.models import dynamodb_backends

        model = dynamodb_backends[self.account][self.region].get_table(table)
        return [item.to_json()["Attributes"] for item in model.all_items()]

    def item_count(self, table: str) -> int:
        """How many items a table holds now, in constant time for a hash-key table
        (moto's own count walks every item: too slow to ask after every run)."""
        from moto.dynamodb.models import dynamodb_backends

        model = dynamodb_backends[self.account][self.region].get_table(table)
        if model.has_range_key:
            return sum(len(items) for items in model.items.values())
        return len(model.items)

    def active_count(self, table: str, attribute: str = "isActive") -> int:
        """How many items have `attribute` true: one pass over moto's model, no Scan."""
        from moto.dynamodb.models import dynamodb_backends

        model = dynamodb_backends[self.account][self.region].get_table(table)
        items: Iterable[Any] = (
            (item for group in model.items.values() for item in group.values())
            if model.has_range_key
            else model.items.values()
        )
        count = 0
        for item in items:
            value = item.attrs.get(attribute)
            count += value is not None and value.value is True
        return count

    def tables(self) -> dict[str, str]:
        """Every table's name and hash key, from moto's model."""
        from moto.dynamodb.models import dynamodb_backends

        model = dynamodb_backends[self.account][self.region]
        return {name: table.hash_key_attr for name, table in sorted(model.tables.items())}

    def queue_messages(self, queue_arn: str) -> list[tuple[str, dict[str, str]]]:
        """(body, string attributes) of every message in a queue, read from moto's model:
        receiving thousands of messages through the API is slow in moto and bounded by
        wall-clock visibility timeouts."""
        from moto.sqs.models import sqs_backends

        _, _, _, region, account, name = queue_arn.split(":")
        queue = sqs_backends[account][region].get_queue(name)
        return [
            (
                message.body,
                {k: v.get("string_value", "") for k, v in message.message_attributes.items()},
            )
            for message in queue._messages
        ]

    def environment(self) -> dict[str, str]:
        """What a process needs to reach this backend with boto3 and nothing else."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **CREDENTIALS,
        }

    def client(self, service: str) -> Any:
        """A client of this backend, made once per service (clients are thread-safe)."""
        if service not in self._clients:
            self._clients[service] = _harness_session(self.region).client(
                service,
                endpoint_url=self.endpoint_url,
                config=BotoConfig(retries={"total_max_attempts": 2}),
            )
        return self._clients[service]
