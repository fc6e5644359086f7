"""The external API stand-in: `GET /records` over a seeded dataset, bearer-token auth,
fault injection and a request journal, with a control plane under `/_`.

`mock_api.app:app` is a ready app configured from MOCK_API_SEED, MOCK_API_TOKEN,
MOCK_API_ORIGIN and MOCK_API_FAULTS; `create_app` builds one for the harness and tests.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .clock import SettableClock, TimeSource
from .dataset import Dataset, dumps
from .documents import DocumentError, load_json
from .faults import Decision
from .injector import FAULT_SCOPE_KEY, FaultInjector
from .rules import Fault, FaultPlan, FaultRuleError, parse_plan
from .state import MockApi

DEFAULT_TOKEN = "local-dev-token"
MAX_PAGE_SIZE = 1000


class _BadRequest(Exception):
    pass


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # logical time /_clock accepts
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_BODY_BYTES = 1_000_000  # a control-plane document
MAX_WINDOW_CHANGES = 250_000  # what one /records window may hold (about 400 MB built)
INLINE_WINDOW_CHANGES = 20_000  # windows smaller than this are built on the event loop


def _parse_instant(name: str, text: str) -> datetime:
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise _BadRequest(f"{name} is not an ISO 8601 instant: {shown!r}") from None
    return parsed


def encode_cursor(updated_at: str, record_id: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_at}|{record_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        updated_at, record_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _BadRequest("cursor is not one this API issued") from None
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
            since = _parse_instant("updated_since", raw_since) if raw_since else None
            until = _parse_instant("updated_until", raw_until) if raw_until else api.clock.now()
            cursor = query.get("cursor")
            after = decode_cursor(cursor) if cursor else None
            page_size = _page_size(query.get("page_size"))
        except _BadRequest as exc:
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

    @app.get("/_health", tags=["control"])
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "seed": data.seed,
            "logicalTime": api.clock.now().isoformat(),
            "rules": len(api.plan.rules),
            "requests": len(api.journal),
        }

    @app.get("/_faults", tags=["control"])
    async def get_faults() -> dict[str, Any]:
        rules = [
            rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for rule in api.plan.rules
        ]
        return {"rules": rules, "seed": api.plan.seed, "stats": api.engine.stats()}

    @app.post("/_faults", tags=["control"], response_model=None)
    async def set_faults(request: Request) -> dict[str, Any] | JSONResponse:
        """Replace the rules with `{"rules": [...], "seed": N}` (a JSON body, whatever
        its content type); 422 names a bad field in one line."""
        try:
            document = load_json(await request.body(), "the body", max_bytes=MAX_BODY_BYTES)
        except DocumentError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        try:
            plan = parse_plan(document)
        except FaultRuleError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        api.set_faults(plan)
        return {"rules": len(plan.rules)}

    @app.delete("/_faults", tags=["control"])
    async def clear_faults() -> dict[str, Any]:
        api.set_faults(FaultPlan())
        return {"rules": 0}

    @app.get("/_requests", tags=["control"])
    async def requests(since: int = 0, limit: int = 10_000) -> dict[str, Any]:
        """The journal: data requests after entry number `since`, at most `limit`."""
        entries = api.journal.entries(since, max(0, limit))
        return {
            "count": len(api.journal),
            "dropped": api.journal.dropped,
            "requests": [e.to_dict() for e in entries],
        }

    @app.post("/_reset", tags=["control"])
    async def reset() -> dict[str, Any]:
        """Forget the rules, the journal and any records held back by page drift."""
        api.reset()
        return {"status": "reset"}

    @app.post("/_clock", tags=["control"], response_model=None)
    async def set_clock(request: Request) -> dict[str, Any] | JSONResponse:
        """Set logical time: `{"now": "2026-03-01T02:00:00Z"}`, or `{"now": null}` to
        follow the wall clock again."""
        if not isinstance(api.clock, SettableClock):
            return error(409, "logical time is driven by the harness that runs this API")
        try:
            document = load_json(await request.body(), "the body", max_bytes=MAX_BODY_BYTES)
        except DocumentError as exc:
            return error(422, str(exc))
        if not isinstance(document, dict):
            return error(422, 'the body must be {"now": "<ISO 8601 instant>"} or {"now": null}')
        raw = document.get("now")
        if raw is not None and not isinstance(raw, str):
            return error(422, "now must be an ISO 8601 instant or null")
        try:
            instant = _parse_instant("now", raw) if raw is not None else None
        except _BadRequest as exc:
            return error(422, str(exc))
        if instant is not None and not EARLIEST <= instant < LATEST:
            return error(422, "now must be from 1970-01-01 to before 9000-01-01")
        api.clock.set(instant)
        return {"logicalTime": api.clock.now().isoformat()}

    app.add_middleware(FaultInjector, api=api)
    return app


def _page_size(raw: str | None) -> int:
    if raw is None:
        return 100
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest(f"page_size is not an integer: {raw!r}") from None
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise _BadRequest(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {value}")
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
            origin=_parse_instant("MOCK_API_ORIGIN", origin) if origin else Dataset().origin,
        ),
        token=os.environ.get("MOCK_API_TOKEN", DEFAULT_TOKEN),
        faults=plan,
    )
