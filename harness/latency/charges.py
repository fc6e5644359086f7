"""Charging work to the handler's virtual clock, whoever wrote the handler.

Once `install` has run, on a thread bound to an invocation (see `runtime/virtual_time`),
every AWS call is counted by `service:Operation` (`take_calls`), and with a model:
- every AWS call attempt botocore makes (retries too) costs a draw for its
  `Service:Operation`, after the response, as if the response took that long to come;
- every other HTTP request costs a draw of `http`: through `http.client` (urllib,
  urllib3, requests) and through httpcore (httpx, sync and async);
  (aiobotocore replaces botocore's endpoint code: its calls are not charged);
- `charge_invocation` costs the runtime's and the handler's own work, once an invocation
  (a cold start's init is the executor's to charge).

A charge is a `time.sleep` on the virtual clock, so it passes through the same deadline
as the handler's own sleeps: a charge that crosses the timeout ends the invocation
there. Threads that are not the function's (the embedded AWS, the mock API, the
harness) are never charged. The hooks go in as the libraries are imported (wrapt's
post-import hooks), so a handler that imports httpx late is charged all the same.

Imports nothing of the harness: the worker process loads it by its path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

import wrapt


class _Model(Protocol):  # latency/base.LatencyModel, which the worker loads by path
    init: Any
    invoke: Any
    http: Any

    def aws_call(self, service: str, operation: str) -> Any: ...
    def draw_ms(self, distribution: Any, identity: str, kind: str) -> float: ...
    def forget(self, identity: str) -> None: ...


_model: _Model | None = None
_request_id: Callable[[], str | None] = lambda: None  # noqa: E731
_init_identity = "init"  # whose draws init's charges are: a cold start's own key
_inside = threading.local()  # .aws: an AWS call is in flight on this thread
_hooked = False
# The AWS calls each invocation made (its request id; "" for init), by `service:Operation`.
_calls: dict[str, dict[str, int]] = {}
_calls_lock = threading.Lock()


def install(model: _Model | None, request_id: Callable[[], str | None]) -> None:
    """Charge `model`'s draws from now on (None: charge nothing), and count the AWS
    calls of every invocation. `request_id` gives the bound thread's invocation ("" in
    init, None off the function's threads)."""
    global _model, _request_id, _hooked
    _model, _request_id = model, request_id
    if not _hooked:
        wrapt.register_post_import_hook(_hook_botocore, "botocore.endpoint")
        wrapt.register_post_import_hook(_hook_http_client, "http.client")
        wrapt.register_post_import_hook(_hook_httpcore_sync, "httpcore._sync.connection_pool")
        wrapt.register_post_import_hook(_hook_httpcore_async, "httpcore._async.connection_pool")
        _hooked = True


def set_init_identity(identity: str) -> None:
    global _init_identity
    _init_identity = identity


def _draw(choose: Callable[[_Model], Any], kind: str) -> float:
    """Seconds the next `kind` of work costs on this thread; 0 off the function's."""
    model = _model
    request_id = _request_id()
    if model is None or request_id is None:
        return 0.0
    return model.draw_ms(choose(model), request_id or _init_identity, kind) / 1000


def _charge(choose: Callable[[_Model], Any], kind: str) -> None:
    seconds = _draw(choose, kind)
    if seconds > 0:
        time.sleep(seconds)  # the bound thread's sleep: virtual, and stops at the deadline


def take_calls(request_id: str, *, with_init: bool = False) -> dict[str, int]:
    """The AWS calls `request_id` made (attempts, retries included), and with
    `with_init` those init made before it (a cold start's); forgotten here."""
    with _calls_lock:
        calls = _calls.pop(request_id, {})
        for name, count in (_calls.pop("", {}) if with_init else {}).items():
            calls[name] = calls.get(name, 0) + count
        return calls


def _count(name: str) -> None:
    request_id = _request_id()
    if request_id is None:
        return
    with _calls_lock:
        calls = _calls.setdefault(request_id, {})
        calls[name] = calls.get(name, 0) + 1


def forget(request_id: str) -> None:
    """The invocation ended: its draw counts go."""
    if _model is not None:
        _model.forget(request_id)


def charge_invocation() -> None:
    _charge(lambda m: m.invoke, "invoke")


def _hook_botocore(module: ModuleType) -> None:
    endpoint = module.Endpoint
    real = endpoint._do_get_response

    def _do_get_response(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
        depth = getattr(_inside, "aws", 0)
        _inside.aws = depth + 1
        try:
            return real(self, request, operation_model, context)
        finally:
            _inside.aws = depth
            service, operation = operation_model.service_model.service_id, operation_model.name
            _count(f"{operation_model.service_model.signing_name}:{operation}")
            _charge(lambda m: m.aws_call(service, operation), f"aws:{service}:{operation}")

    endpoint._do_get_response = _do_get_response


def _http_charge() -> None:
    if not getattr(_inside, "aws", 0):  # botocore's own HTTP is the AWS call's charge
        _charge(lambda m: m.http, "http")


def _charged_after(cls: Any, name: str) -> None:
    """`cls.name` charges an HTTP request once the real method has its answer."""
    real = getattr(cls, name)

    def charged(self: Any, *args: Any) -> Any:
        response = real(self, *args)
        _http_charge()
        return response

    charged.__name__ = name
    setattr(cls, name, charged)


def _hook_http_client(module: ModuleType) -> None:
    _charged_after(module.HTTPConnection, "getresponse")


def _hook_httpcore_sync(module: ModuleType) -> None:
    _charged_after(module.ConnectionPool, "handle_request")


def _hook_httpcore_async(module: ModuleType) -> None:
    pool = module.AsyncConnectionPool
    real = pool.handle_async_request

    async def handle_async_request(self: Any, request: Any) -> Any:
        response = await real(self, request)
        # A virtual sleep, not the loop's timer: it costs no wall time, and concurrent
        # requests' charges add up as the sync path's do, whatever the real I/O timing.
        _http_charge()
        return response

    pool.handle_async_request = handle_async_request
