"""The fault engine in front of any HTTP API: the user's own stub, a staging API, or a
recorded cassette.

`create_upstream_app(upstream, ...)` serves the same fault rules, journal and control
plane as the records API, on the same clock, and answers every other request with the
upstream's answer: forwarded over HTTP (`HttpUpstream`), or played back from a vcrpy
cassette (`CassetteUpstream`: the YAML vcrpy records, read by vcrpy itself, matched on
method, path and query, each answer replayable as often as asked). The faults that
rewrite a records page (invalid, duplicate and poison records, page drift) need the
records API and are refused here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from .clock import TimeSource
from .control import add_control_plane
from .dataset import Dataset
from .documents import DocumentError, read_yaml_text
from .injector import FaultInjector
from .rules import DATA_KINDS, FaultPlan, FaultRuleError
from .state import MockApi

# Headers that belong to one connection, not to the message (RFC 9110 7.6.1), and the
# ones the forwarder sets itself.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
MAX_RESPONSE_BYTES = 100 * 1024**2
MAX_CASSETTE_BYTES = 50 * 1024**2
UPSTREAM_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Upstream(Protocol):
    name: str

    async def send(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Answer: ...

    async def close(self) -> None: ...


class HttpUpstream:
    """Forwards each request to `base_url` and brings its answer back as it was sent
    (compressed bodies stay compressed)."""

    def __init__(self, base_url: str) -> None:
        self.name = base_url.rstrip("/")

    async def send(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        # A client a request: a scheduled function asks rarely, and nothing stays open
        # (the server runs without lifespan events to close a shared one).
        async with httpx.AsyncClient(
            timeout=UPSTREAM_TIMEOUT_SECONDS, follow_redirects=False
        ) as client:
            return await self._send(client, method, path, query, headers, body)

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Answer:
        url = self.name + path + (f"?{query}" if query else "")
        forwarded = {k: v for k, v in headers.items() if k.lower() not in _HOP}
        request = client.build_request(method, url, headers=forwarded, content=body)
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            return _bad_gateway(f"upstream {self.name} did not answer: {reason}")
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    return _bad_gateway(f"upstream {self.name} answered over 100 MiB")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            return _bad_gateway(f"upstream {self.name} broke off its answer: {exc}")
        finally:
            await response.aclose()
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP]
        return Answer(response.status_code, kept, b"".join(chunks))

    async def close(self) -> None:
        return None


class CassetteUpstream:
    """Answers from a cassette vcrpy recorded, as vcrpy plays it back."""

    def __init__(self, path: Path) -> None:
        from vcr import matchers
        from vcr.cassette import Cassette
        from vcr.persisters.filesystem import CassetteDecodeError, FilesystemPersister
        from vcr.record_mode import RecordMode
        from vcr.serializers import yamlserializer

        self.name = str(path)
        try:
            read_yaml_text(path, "cassette", max_bytes=MAX_CASSETTE_BYTES)
        except DocumentError as exc:
            raise FaultRuleError(str(exc)) from None
        try:
            self._cassette = Cassette.load(
                path=str(path),
                serializer=yamlserializer,
                persister=FilesystemPersister,
                record_mode=RecordMode.NONE,
                match_on=(matchers.method, matchers.path, matchers.query),
                allow_playback_repeats=True,
            )
        except (CassetteDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise FaultRuleError(f"{path}: not a vcrpy cassette ({reason})") from None
        if not len(self._cassette):
            raise FaultRuleError(f"{path}: the cassette holds no interactions")
        for number, response in enumerate(self._cassette.responses, 1):
            status = (response.get("status") or {}) if isinstance(response, dict) else {}
            body = (response.get("body") or {}) if isinstance(response, dict) else {}
            if (
                not isinstance(status.get("code"), int)
                or not isinstance(response.get("headers") or {}, dict)
                or not isinstance(body.get("string", b""), str | bytes | type(None))
            ):
                raise FaultRuleError(
                    f"{path}: interaction {number}'s response needs status.code (a number),"
                    " headers (a mapping) and body.string (text)"
                )

    async def send(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        from vcr.request import Request as Recorded

        uri = "http://cassette" + path + (f"?{query}" if query else "")
        request = Recorded(method, uri, body or None, dict(headers))
        if not self._cassette.can_play_response_for(request):
            return Answer(
                404,
                [("content-type", "application/json")],
                b'{"error": "the cassette has no answer for %s %s"}'
                % (method.encode(), (path + (f"?{query}" if query else "")).encode()),
            )
        recorded = self._cassette.play_response(request)
        headers_out = [
            (name, str(value))
            for name, values in (recorded.get("headers") or {}).items()
            for value in (values if isinstance(values, list) else [values])
            if name.lower() not in _HOP
        ]
        content = (recorded.get("body") or {}).get("string") or b""
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        return Answer(int(recorded["status"]["code"]), headers_out, data)

    async def close(self) -> None:
        return None


def _bad_gateway(message: str) -> Answer:
    body = json.dumps({"error": message}).encode()
    return Answer(502, [("content-type", "application/json")], body)


def check_upstream_plan(plan: FaultPlan) -> None:
    """Faults that rewrite records pages need the records API."""
    for number, rule in enumerate(plan.rules, 1):
        if rule.fault.kind in DATA_KINDS:
            name = rule.name or f"rule {number}"
            raise FaultRuleError(
                f"{name}: kind {rule.fault.kind!r} rewrites the records API's pages; in front"
                " of your own API use status, delay_ms, hang, reset, empty, truncated, drip or"
                " malformed_json"
            )


def any_path(plan: FaultPlan) -> FaultPlan:
    """A built-in plan for any API: its rules for the records API's `/records` made to
    match any path, and those that rewrite records pages left out."""
    rules = [
        rule.model_copy(update={"match": rule.match.model_copy(update={"path": None})})
        if rule.match.path == "/records"
        else rule
        for rule in plan.rules
        if rule.fault.kind not in DATA_KINDS
    ]
    return plan.model_copy(update={"rules": rules})


def create_upstream_app(
    upstream: Upstream,
    *,
    clock: TimeSource,
    faults: FaultPlan | None = None,
    seed: int = 1,
    origin: Any = None,
) -> FastAPI:
    """The fault engine and journal in front of `upstream`. `origin` is the instant fault
    windows count from (the run's start)."""
    plan = faults or FaultPlan()
    check_upstream_plan(plan)
    dataset = Dataset(seed=seed, origin=origin) if origin is not None else Dataset(seed=seed)
    api = MockApi(
        dataset, token="", clock=clock, seed=seed, faults=plan, check_plan=check_upstream_plan
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await upstream.close()

    app = FastAPI(
        title=f"Fault injection in front of {upstream.name}", docs_url=None, lifespan=lifespan
    )
    app.state.api = api
    app.state.upstream = upstream
    add_control_plane(app, api)

    @app.api_route(
        "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    )
    async def forward(request: Request, path: str) -> Response:
        answer = await upstream.send(
            request.method,
            request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
            request.url.query,
            dict(request.headers),
            await request.body(),
        )
        response = Response(answer.body, status_code=answer.status)
        for name, value in answer.headers:
            response.headers.append(name, value)
        return response

    app.add_middleware(FaultInjector, api=api)
    return app
