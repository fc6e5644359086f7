"""The external API stand-in: `GET /records` over a seeded dataset, bearer-token auth,
fault injection and a request journal, with a control plane under `/_`.

`mock_api.app:app` is a ready app configured from MOCK_API_SEED, MOCK_API_TOKEN,
MOCK_API_ORIGIN and MOCK_API_FAULTS; `create_app` builds one for the harness and tests.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .clock import SettableClock, TimeSource
from .control import BadRequest, add_control_plane, parse_instant
from .dataset import Dataset, dumps
from .faults import Decision
from .injector import FAULT_SCOPE_KEY, FaultInjector
from .rules import Fault, FaultPlan, FaultRuleError
from .state import MockApi

DEFAULT_TOKEN = "local-dev-token"
MAX_PAGE_SIZE = 1000


MAX_WINDOW_CHANGES = 250_000  # what one /records window may hold (about 400 MB built)
INLINE_WINDOW_CHANGES = 20_000  # windows smaller than this are built on the event loop


def encode_cursor(updated_at: str, record_id: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_at}|{record_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        updated_at, record_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("cursor is not one this API issued") from None
    return updated_at, record_id


def create_app(
    dataset: Dataset | None = None,
    *,
    token: str = DEFAULT_TOKEN,
    clock: TimeSource | None = None,
    faults: FaultPlan | None = None,
    seed: int | None = None,
) -> FastAPI:
    """The API over `dataset`. `clock` gives logical time (a settable wall clock when
    absent); `faults` are the initial rules; `seed` (the dataset's when absent) seeds
    the fault dice."""
    data = dataset or Dataset()
    api = MockApi(
        data,
        token,
        clock or SettableClock(),
        data.seed if seed is None else seed,
        faults or FaultPlan(),
    )
    app = FastAPI(
        title="Mock external records API",
        version="1.0",
        description="Seeded records that change over logical time, with fault injection.",
    )
    app.state.api = api

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    # Handlers are `async` and build their responses by hand on purpose: the work is
    # small, and skipping the worker-thread hop, parameter models and jsonable_encoder
    # makes a page several times faster.
    @app.get(
        "/records",
        response_model=None,
        openapi_extra={
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": {"type": t}}
                for n, t in (
                    ("updated_since", "string"),
                    ("updated_until", "string"),
                    ("page_size", "integer"),
                    ("cursor", "string"),
                )
            ]
        },
    )
    async def records(request: Request) -> Response:
        """Records changed in (updated_since, updated_until], oldest first, in pages:
        `{"records": [...], "next_cursor": "..." | null}`."""
        if request.headers.get("authorization") != f"Bearer {api.token}":
            return error(401, "missing or invalid bearer token")
        query = request.query_params
        try:
            raw_since, raw_until = query.get("updated_since"), query.get("updated_until")
            since = parse_instant("updated_since", raw_since) if raw_since else None
            until = parse_instant("updated_until", raw_until) if raw_until else api.clock.now()
            cursor = query.get("cursor")
            after = decode_cursor(cursor) if cursor else None
            page_size = _page_size(query.get("page_size"))
        except BadRequest as exc:
            return error(400, str(exc))
        if since is not None and since > until:
            return error(400, "updated_since is after updated_until")
        until = min(until, api.clock.now())  # nothing has changed after now
        changes = data.estimated_changes(since, until)
        if changes > MAX_WINDOW_CHANGES:
            return error(
                400,
                f"the window holds about {changes:,} changes, over this API's limit of"
                f" {MAX_WINDOW_CHANGES:,} a request: narrow it with updated_since",
            )
        if changes > INLINE_WINDOW_CHANGES:  # built off the event loop: the API keeps answering
            window = await run_in_threadpool(data.window, since, until)
        else:
            window = data.window(since, until)
        start = window.after(after)
        end = min(start + page_size, len(window.records))
        next_cursor = encode_cursor(*window.keys[end - 1]) if end < len(window.records) else None
        decision: Decision[Fault] | None = request.scope.get(FAULT_SCOPE_KEY)
        # Page drift keys pages by the query as sent: a client that leaves out
        # `updated_until` still finds the records moved to its next page.
        moved = api.data_faults.arriving((raw_since, raw_until, cursor))
        now = api.clock.now()
        if decision is None and not moved and not api.data_faults.poisoned(now):
            body = b'{"records":[%b],"next_cursor":%b}' % (
                b",".join(window.blobs[start:end]),
                dumps(next_cursor),
            )
            return Response(body, media_type="application/json")
        page = api.data_faults.alter(
            decision, window, start, end, moved, (raw_since, raw_until, next_cursor), now
        )
        return Response(
            dumps({"records": page, "next_cursor": next_cursor}), media_type="application/json"
        )

    add_control_plane(app, api)
    app.add_middleware(FaultInjector, api=api)
    return app


def _page_size(raw: str | None) -> int:
    if raw is None:
        return 100
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"page_size is not an integer: {raw!r}") from None
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise BadRequest(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {value}")
    return value


def __getattr__(name: str) -> Any:
    # `mock_api.app:app` for uvicorn and containers, built on first use rather than at
    # every import.
    if name == "app":
        globals()["app"] = built = _from_environment()
        return built
    raise AttributeError(name)


def _from_environment() -> FastAPI:
    origin = os.environ.get("MOCK_API_ORIGIN")
    faults = os.environ.get("MOCK_API_FAULTS")
    from .profiles import load_faults

    try:
        plan = load_faults(faults) if faults else None
    except FaultRuleError as exc:
        raise SystemExit(f"mock_api: MOCK_API_FAULTS: {exc}") from None
    return create_app(
        Dataset(
            seed=int(os.environ.get("MOCK_API_SEED", "1")),
            origin=parse_instant("MOCK_API_ORIGIN", origin) if origin else Dataset().origin,
        ),
        token=os.environ.get("MOCK_API_TOKEN", DEFAULT_TOKEN),
        faults=plan,
    )
