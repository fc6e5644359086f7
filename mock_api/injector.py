"""The ASGI layer in front of the endpoints that applies fault rules and keeps the journal.

It sees every request outside the control plane (`/_...`) and the API docs, asks the
engine for a fault, and then answers, alters or withholds the response. Logical waits
(delays, drips) are spent on the API's clock: instantly on a virtual clock, for real on
the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextvars import ContextVar
from typing import Any

from .dataset import dumps
from .faults import Decision
from .rules import DATA_KINDS, Fault
from .state import MockApi
from .transport import reset, transport_of

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Any
Send = Any

FAULT_SCOPE_KEY = "mock_api.fault"  # the decision, for endpoints that alter records
UNJOURNALLED = ("/_", "/docs", "/redoc", "/openapi.json")
HANG_LIMIT_SECONDS = 600.0  # a hang ends here even if the client never gives up
DRIP_WALL_GAP_SECONDS = 0.001  # on a virtual clock chunks still leave one by one


_spent: ContextVar[list[float]] = ContextVar("spent")  # each request runs in its own task


class FaultInjector:
    def __init__(self, app: Any, api: MockApi) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNJOURNALLED):
            await self.app(scope, receive, send)
            return
        api = self.api
        wall_started = time.perf_counter()
        seq = api.journal.next_seq()  # numbered on arrival, whenever it finishes
        logical_started = api.clock.now()
        decision = api.engine.decide(scope["method"], scope["path"], logical_started)
        sent: list[int | None] = [None]
        # The logical time this request spent here (delays, drips): not the clock's
        # reading at the end, which the client's thread moves on once it has the headers.
        spent = [0.0]
        _spent.set(spent)

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent[0] = message["status"]
            await send(message)

        try:
            if decision is None:
                await self.app(scope, receive, tracking_send)
            else:
                await self._apply(decision, scope, receive, tracking_send)
        finally:
            api.journal.record(
                seq=seq,
                logical_at=logical_started,
                method=scope["method"],
                path=scope["path"],
                query_string=scope.get("query_string", b""),
                status=sent[0],
                fault=decision.fault.describe() if decision else None,
                rule=decision.rule if decision else None,
                duration_ms=(time.perf_counter() - wall_started) * 1000,
                logical_ms=spent[0] * 1000,
            )

    async def _apply(
        self, decision: Decision[Fault], scope: Scope, receive: Receive, send: Send
    ) -> None:
        fault = decision.fault
        if fault.delay_ms:
            await self._wait(fault.delay_ms / 1000)
        if fault.kind == "hang":
            await _until_disconnect(receive, HANG_LIMIT_SECONDS)
            return
        if fault.kind in ("reset", "empty"):
            transport = transport_of(scope)
            if transport is None:  # not on our uvicorn protocol (an in-process test client)
                raise ConnectionResetError(f"injected fault: {fault.kind}")
            reset(transport) if fault.kind == "reset" else transport.close()
            await _until_disconnect(receive, 5.0)
            return
        if fault.status is not None and fault.kind not in DATA_KINDS:
            start, body = _status_response(fault)
        else:
            if fault.kind in DATA_KINDS:
                scope = {**scope, FAULT_SCOPE_KEY: decision}
            start, body = await self._downstream(scope, receive)
        await self._send_body(fault, decision, scope, receive, send, start, body)

    async def _send_body(
        self,
        fault: Fault,
        decision: Decision[Fault],
        scope: Scope,
        receive: Receive,
        send: Send,
        start: Message,
        body: bytes,
    ) -> None:
        if fault.kind == "malformed_json":
            body = _malformed(body, decision)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if start.get("status") in (204, 304):  # never a body, nor a length
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        if fault.kind == "truncated":
            # The declared length stays; half the body comes, then the connection closes.
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            transport = transport_of(scope)
            if transport is None:
                raise ConnectionResetError("injected fault: truncated")
            transport.close()
            await _until_disconnect(receive, 5.0)
            return
        if fault.kind == "drip":
            size = max(1, -(-len(body) // fault.chunks))
            pieces = [body[offset : offset + size] for offset in range(0, len(body), size)]
            for number, piece in enumerate(pieces or [b""], start=1):
                await self._wait(fault.chunk_interval_ms / 1000)
                more = number < len(pieces)
                await send({"type": "http.response.body", "body": piece, "more_body": more})
            return
        await send({"type": "http.response.body", "body": body})

    async def _downstream(self, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
        """Run the endpoint and keep its whole response, to be altered before sending."""
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        return start, b"".join(chunks)

    async def _wait(self, seconds: float) -> None:
        _spent.get([0.0])[0] += seconds
        clock = self.api.clock
        if getattr(clock, "virtual", False):
            clock.sleep(seconds)  # type: ignore[attr-defined]
            await asyncio.sleep(DRIP_WALL_GAP_SECONDS)
        else:
            await asyncio.sleep(seconds)


def _status_response(fault: Fault) -> tuple[Message, bytes]:
    status = fault.status or 200
    body = fault.body if fault.body is not None else {"error": f"injected fault: HTTP {status}"}
    if isinstance(body, str):
        payload, media = body.encode(), b"text/plain; charset=utf-8"
    else:
        payload, media = dumps(body), b"application/json"
    headers = [(b"content-type", media)]
    headers += [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in fault.headers.items()
    ]
    return {"type": "http.response.start", "status": status, "headers": headers}, payload


def _malformed(body: bytes, decision: Decision[Fault]) -> bytes:
    """The body cut at a seeded point and left open: not JSON any client can parse."""
    cut = decision.rng.randrange(1, max(2, len(body)))
    return body[:cut] + b'\x00{"'


async def _until_disconnect(receive: Receive, limit: float) -> None:
    async def wait() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wait(), timeout=limit)
