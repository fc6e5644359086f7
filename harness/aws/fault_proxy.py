"""The AWS fault proxy: a loopback HTTP proxy in front of an AWS endpoint (the embedded
backend or LocalStack) that applies the `aws` rules of a fault plan.

The function reaches it through `AWS_ENDPOINT_URL` like any endpoint. Each call is
named `service:Operation` (the service from the SigV4 credential scope, the operation
from `X-Amz-Target` or the query protocol's `Action`; REST-protocol calls are named
`service:METHOD /path`), matched against the rules with the mock API's engine, and then
answered with an AWS-shaped error in the protocol the client speaks, forwarded with part
of a BatchWriteItem handed back as `UnprocessedItems`, or delayed and forwarded. Delays
are spent on the proxy's clock: at once in virtual time. Every call is journalled.

The backend does not check SigV4 signatures (neither moto nor LocalStack does), so a
request whose body the proxy trims is forwarded with the client's headers as they are.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import httpx

from mock_api import Entry, FaultPlan, Journal
from mock_api.faults import Decision, FaultEngine
from mock_api.rules import AwsFault

from ..runtime.events import seeded_uuid
from .embedded import shared_botocore_session
from .wsgi_server import WsgiApp, WsgiServer

StartResponse = Callable[..., Any]
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "host",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
    }
)
# httpx hands the proxy a response body already decoded, so its encoding header goes too;
# a request body (a gzip-compressed PutMetricData) is forwarded as sent, header and all.
RESPONSE_DROPPED = HOP_BY_HOP | {"content-encoding"}
BATCH_WRITE = "dynamodb:BatchWriteItem"
DEFAULT_MESSAGES = {
    "ProvisionedThroughputExceededException": (
        "The level of configured provisioned throughput for the table was exceeded."
        " Consider increasing your provisioning level with the UpdateTable API."
    ),
    "ThrottlingException": "Rate of requests exceeds the allowed throughput.",
    "RequestLimitExceeded": "Throughput exceeds the current throughput limit for your account.",
    "ConditionalCheckFailedException": "The conditional request failed",
    "InternalServerError": "Internal server error",
    "ServiceUnavailable": "Service Unavailable",
}
# DynamoDB's error type namespaces, as its JSON protocol sends them in `__type`.
DYNAMODB_TYPE = "com.amazonaws.dynamodb.v20120810#"
CORAL_TYPE = "com.amazon.coral.availability#"
CORAL_ERRORS = frozenset({"ThrottlingException", "ServiceUnavailable"})


class ProxyClock(Protocol):
    """Logical time for windows and delays: the harness's virtual clock, or the system
    clock when the proxy fronts a backend in real time."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class Call:
    """One request as the proxy read it."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.method: str = environ["REQUEST_METHOD"]
        self.path: str = environ.get("PATH_INFO", "/") or "/"
        self.query: str = environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body: bytes = environ["wsgi.input"].read(length) if length else b""
        self.headers: dict[str, str] = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        self.service = _service(self.headers.get("authorization", ""))
        self.protocol, self.operation = self._operation()

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"

    def _operation(self) -> tuple[str, str]:
        target = self.headers.get("x-amz-target")
        if target:
            return "json", target.rsplit(".", 1)[-1]
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(self.body.decode("utf-8", "replace"))
            if "Action" in form:
                return "query", form["Action"][0]
        query = parse_qs(self.query)
        if "Action" in query:
            return "query", query["Action"][0]
        return _rest_protocol(self.service), f"{self.method} {self.path}"


@functools.cache
def _rest_protocol(service: str) -> str:
    """rest-json or rest-xml (S3, Route 53, CloudFront), as botocore's model says."""
    try:
        data = shared_botocore_session().get_service_data(service)
    except Exception:  # a signing name botocore does not know as a service
        return "rest-json"
    protocol = str(data.get("metadata", {}).get("protocol", "rest-json"))
    return "rest-xml" if protocol == "rest-xml" else "rest-json"


def _service(authorization: str) -> str:
    """The signing name in `Credential=AKID/20260101/us-east-1/dynamodb/aws4_request`."""
    _, found, rest = authorization.partition("Credential=")
    parts = rest.split(",", 1)[0].split("/") if found else []
    return parts[3] if len(parts) >= 5 else "unknown"


class AwsFaultProxy(WsgiServer):
    """Serves on 127.0.0.1 (a free port by default) in a background thread."""

    def __init__(
        self,
        upstream: str,
        plan: FaultPlan,
        *,
        seed: int,
        clock: ProxyClock,
        origin: datetime,
        port: int = 0,
        upstream_app: WsgiApp | None = None,
    ) -> None:
        """`upstream_app`: the backend's WSGI app when it runs in this process (the
        embedded backend), called directly instead of over loopback HTTP."""
        self.upstream = upstream.rstrip("/")
        self.clock = clock
        self.engine = FaultEngine.aws(plan, seed, origin)
        self.journal = Journal()
        transport = httpx.WSGITransport(app=upstream_app) if upstream_app is not None else None
        self._client = httpx.Client(
            timeout=httpx.Timeout(60.0), trust_env=False, transport=transport
        )
        super().__init__(self._app, port=port)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def stats(self) -> list[dict[str, Any]]:
        return self.engine.stats()

    def entries(self) -> list[Entry]:
        return self.journal.entries()

    # -- the WSGI app -----------------------------------------------------------------
    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        wall_started = time.perf_counter()
        seq = self.journal.next_seq()  # numbered on arrival
        call = Call(environ)
        logical_started = self.clock.now()
        key = hashlib.blake2b(call.name.encode() + b"\0" + call.body, digest_size=12).hexdigest()
        decision = self.engine.decide(call.method, call.name, logical_started, key=key)
        try:
            status, headers, body = self._answer(call, decision)
        except httpx.HTTPError as exc:
            status, headers, body = 502, [("Content-Type", "text/plain")], str(exc).encode()
        self.journal.record(
            seq=seq,
            logical_at=logical_started,
            method=call.method,
            path=call.name,
            query_string=b"",
            status=status,
            fault=decision.fault.describe() if decision else None,
            rule=decision.rule if decision else None,
            duration_ms=(time.perf_counter() - wall_started) * 1000,
            logical_ms=(self.clock.now() - logical_started).total_seconds() * 1000,
        )
        # The upstream's length went with the hop-by-hop headers (a trimmed batch or an
        # error has its own); without one werkzeug would chunk the body.
        start_response(
            f"{status} {_reason(status)}", [*headers, ("Content-Length", str(len(body)))]
        )
        return [body]

    def _answer(
        self, call: Call, decision: Decision[AwsFault] | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if decision is None:
            return self._forward(call, call.body)
        fault = decision.fault
        if fault.delay_ms:
            self.clock.sleep(fault.delay_ms / 1000)
        if fault.error is not None:
            return self._error(call, fault, seeded_uuid(decision.rng))
        if fault.unprocessed is not None and call.name == BATCH_WRITE:
            return self._partial_batch(call, fault.unprocessed, decision.rng)
        return self._forward(call, call.body)

    def _forward(self, call: Call, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        url = self.upstream + call.path + (f"?{call.query}" if call.query else "")
        headers = {k: v for k, v in call.headers.items() if k not in HOP_BY_HOP}
        response = self._client.request(call.method, url, headers=headers, content=body)
        passed = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in RESPONSE_DROPPED
        ]
        return response.status_code, passed, response.content

    def _error(
        self, call: Call, fault: AwsFault, request_id: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        code = fault.error or "InternalServerError"
        message = fault.message or DEFAULT_MESSAGES.get(code, code)
        status = fault.http_status
        if call.protocol == "query":
            side = "Receiver" if status >= 500 else "Sender"
            body = (
                f"<ErrorResponse><Error><Type>{side}</Type>"
                f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        elif call.protocol == "rest-xml":
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>{escape(code)}</Code>"
                f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
            ).encode()
            headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        elif call.protocol == "json":
            namespace = CORAL_TYPE if code in CORAL_ERRORS else DYNAMODB_TYPE
            error_type = namespace + code if call.service == "dynamodb" else code
            body = json.dumps({"__type": error_type, "message": message}).encode()
            headers = [
                ("Content-Type", call.headers.get("content-type", "application/x-amz-json-1.0")),
                ("x-amzn-RequestId", request_id),
                ("x-amz-crc32", str(zlib.crc32(body))),
            ]
        else:
            body = json.dumps({"message": message}).encode()
            headers = [
                ("Content-Type", "application/json"),
                ("x-amzn-RequestId", request_id),
                ("x-amzn-ErrorType", code),
            ]
        return status, headers, body

    def _partial_batch(
        self, call: Call, count: int, rng: random.Random
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Forward all but `count` of the batch's writes (picked by the rule's dice)
        and hand those back as UnprocessedItems, as DynamoDB does under pressure."""
        request = json.loads(call.body)
        writes = [
            (table, write)
            for table, table_writes in request.get("RequestItems", {}).items()
            for write in table_writes
        ]
        held = set(rng.sample(range(len(writes)), min(count, len(writes))))
        unprocessed: dict[str, list[Any]] = {}
        forwarded: dict[str, list[Any]] = {}
        for index, (table, write) in enumerate(writes):
            (unprocessed if index in held else forwarded).setdefault(table, []).append(write)
        answer: dict[str, Any] = {}
        status, headers = 200, [("Content-Type", "application/x-amz-json-1.0")]
        headers.append(("x-amzn-RequestId", seeded_uuid(rng)))
        if forwarded:
            status, headers, body = self._forward(
                call, json.dumps({**request, "RequestItems": forwarded}).encode()
            )
            if status != 200:
                return status, headers, body
            answer = json.loads(body)
        merged = answer.get("UnprocessedItems") or {}
        for table, table_writes in unprocessed.items():
            merged.setdefault(table, []).extend(table_writes)
        body = json.dumps({**answer, "UnprocessedItems": merged}).encode()
        headers = [(k, v) for k, v in headers if k.lower() != "x-amz-crc32"]
        headers.append(("x-amz-crc32", str(zlib.crc32(body))))
        return 200, headers, body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
