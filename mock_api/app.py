"""The external API stand-in: `GET /records` over a seeded dataset, bearer-token auth.

`mock_api.app:app` is a ready app configured from MOCK_API_SEED, MOCK_API_TOKEN and
MOCK_API_ORIGIN; `create_app` builds one for the harness and tests.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse

from .clock import TimeSource, WallClock
from .dataset import Dataset

DEFAULT_TOKEN = "local-dev-token"
MAX_PAGE_SIZE = 1000


def _parse_instant(name: str, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _BadRequest(f"{name} is not an ISO 8601 instant: {text!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


class _BadRequest(Exception):
    pass


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
) -> FastAPI:
    data = dataset or Dataset()
    time_source = clock or WallClock()
    app = FastAPI(title="Mock external records API", version="1.0")
    app.state.dataset = data
    app.state.clock = time_source

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    # Handlers are `async` and return JSONResponse on purpose: the work is a few
    # milliseconds of CPU, and skipping the worker-thread hop and jsonable_encoder's walk
    # makes a page several times faster.
    @app.get("/_health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "seed": data.seed, "logicalTime": time_source.now().isoformat()}

    @app.get("/records", response_model=None)
    async def records(
        authorization: Annotated[str | None, Header()] = None,
        updated_since: Annotated[str | None, Query()] = None,
        updated_until: Annotated[str | None, Query()] = None,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        cursor: Annotated[str | None, Query()] = None,
    ) -> JSONResponse:
        if authorization != f"Bearer {token}":
            return error(401, "missing or invalid bearer token")
        try:
            since = _parse_instant("updated_since", updated_since) if updated_since else None
            until = (
                _parse_instant("updated_until", updated_until)
                if updated_until
                else time_source.now()
            )
            after = decode_cursor(cursor) if cursor else None
        except _BadRequest as exc:
            return error(400, str(exc))
        if since is not None and since > until:
            return error(400, "updated_since is after updated_until")
        matching = data.changed_between(since, until)
        if after is not None:
            matching = [r for r in matching if (r["updatedAt"], r["id"]) > after]
        page = matching[:page_size]
        more = len(matching) > page_size
        return JSONResponse(
            {
                "records": page,
                "next_cursor": (
                    encode_cursor(page[-1]["updatedAt"], page[-1]["id"]) if more else None
                ),
            }
        )

    return app


def _from_environment() -> FastAPI:
    origin = os.environ.get("MOCK_API_ORIGIN")
    return create_app(
        Dataset(
            seed=int(os.environ.get("MOCK_API_SEED", "1")),
            origin=_parse_instant("MOCK_API_ORIGIN", origin) if origin else Dataset().origin,
        ),
        token=os.environ.get("MOCK_API_TOKEN", DEFAULT_TOKEN),
    )


app = _from_environment()
