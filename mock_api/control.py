"""The control plane every app of this package serves under `/_`: health, fault rules,
the journal, reset and logical time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .clock import SettableClock
from .documents import DocumentError, load_json
from .rules import FaultPlan, FaultRuleError, parse_plan
from .state import MockApi


class BadRequest(Exception):
    """A request this API refuses with 400: the message says why."""


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # logical time /_clock accepts
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_BODY_BYTES = 1_000_000  # a control-plane document


def parse_instant(name: str, text: str) -> datetime:
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(f"{name} is not an ISO 8601 instant: {shown!r}") from None
    return parsed


def add_control_plane(app: FastAPI, api: MockApi) -> None:
    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.get("/_health", tags=["control"])
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "seed": api.dataset.seed,
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
        try:
            api.set_faults(plan)
        except FaultRuleError as exc:  # a fault this API cannot apply (records-only kinds)
            return JSONResponse({"detail": str(exc)}, status_code=422)
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
            instant = parse_instant("now", raw) if raw is not None else None
        except BadRequest as exc:
            return error(422, str(exc))
        if instant is not None and not EARLIEST <= instant < LATEST:
            return error(422, "now must be from 1970-01-01 to before 9000-01-01")
        api.clock.set(instant)
        return {"logicalTime": api.clock.now().isoformat()}
