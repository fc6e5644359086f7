"""The direct transport: botocore requests to an endpoint served in this process (the
embedded AWS, the AWS fault proxy) handed to its WSGI app, with no socket in between.

Over loopback HTTP each call pays urllib3 and http.client on one side, a socket and a
server thread on the other, and werkzeug's request parsing, for bytes that never leave
the process. Here botocore's request becomes the WSGI environ werkzeug's server (with
moto's handler) would have built from those bytes, and the app's answer becomes the
response botocore would have read: the same request and response bodies, headers and
status, the same fault proxy, journal and latency charges. Only the socket is gone.

Only URLs registered with `routed` are answered here; every other endpoint (LocalStack,
AWS, a subprocess's calls) goes over HTTP as before. `--transport http` registers none.
"""

from __future__ import annotations

import functools
import io
import logging
import platform
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.utils import formatdate
from importlib.metadata import version
from typing import Any
from urllib.parse import unquote, urlsplit

from .wsgi_server import WsgiApp, drain

_routes: dict[str, WsgiApp] = {}  # "127.0.0.1:port" -> app
_lock = threading.Lock()
_installed = False
_answered = [0]


@functools.cache
def _server() -> str:
    """What werkzeug's server says it is (http.server's version_string), on every answer:
    worked out at the first answer, not at import (reading the version costs 70 ms)."""
    return f"Werkzeug/{version('werkzeug')} Python/{platform.python_version()}"


def answered() -> int:
    """How many requests this process has answered without a socket (for tests)."""
    return _answered[0]


class _RawResponse(io.BytesIO):
    """What botocore reads a body from: `stream()` for buffered answers, `read()` for
    streaming ones (S3 GetObject), as urllib3's response offers both."""

    def stream(self, amt: int = 2**16, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


@contextmanager
def routed(apps: Mapping[str, WsgiApp]) -> Iterator[None]:
    """Answer requests to each base URL with its app, in this process, for the duration."""
    _install()
    netlocs = {urlsplit(url).netloc: app for url, app in apps.items()}
    with _lock:
        _routes.update(netlocs)
    try:
        yield
    finally:
        with _lock:
            for netloc in netlocs:
                _routes.pop(netloc, None)


def _install() -> None:
    """Patch botocore's last step before the wire, once: every client of every session
    (the harness's, the function's, a user's) passes through it."""
    global _installed
    with _lock:
        if _installed:
            return
        from botocore.endpoint import Endpoint

        original = Endpoint._send

        def send(self: Any, request: Any) -> Any:
            app = _routes.get(urlsplit(request.url).netloc) if _routes else None
            if app is None:
                return original(self, request)
            return _answer(app, request)

        Endpoint._send = send
        _installed = True


def _answer(app: WsgiApp, request: Any) -> Any:
    from botocore.awsrequest import AWSResponse

    from ..runtime.virtual_time import unbound

    _answered[0] += 1
    environ = _environ(request)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started[:] = [status, headers]

    # The server runs on the real clocks, as its own threads do over HTTP: moto's
    # timestamps, the proxy's wall times and a fault's delay past the function's
    # deadline all stay what they are there (the handler's thread sees the delay after).
    with unbound():
        try:
            body = b"".join(drain(app(environ, start_response)))
        except Exception:  # werkzeug's server logs an app's crash and answers a plain 500
            from werkzeug.exceptions import InternalServerError

            logging.getLogger("werkzeug").exception("Error on request")
            error = InternalServerError()
            started[:] = ["500 INTERNAL SERVER ERROR", error.get_headers()]
            body = error.get_body().encode()
        status, app_headers = started
        code = int(status.split(" ", 1)[0])
        headers = [("Server", _server()), ("Date", formatdate(time.time(), usegmt=True))]
    headers.extend(app_headers)
    names = {name.lower() for name, _ in app_headers}
    if not (
        "content-length" in names
        or request.method == "HEAD"
        or 100 <= code < 200
        or code in (204, 304)
    ):
        headers.append(("Transfer-Encoding", "chunked"))  # how werkzeug sends an unsized body
    headers.append(("Connection", "close"))  # werkzeug closes every connection
    if request.method == "HEAD":
        body = b""
    return AWSResponse(request.url, code, _joined(headers), _RawResponse(body))


def _joined(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers as http.client hands them to botocore: one (as first spelled),
    values joined."""
    spelled: dict[str, str] = {}
    joined: dict[str, str] = {}
    for name, value in headers:
        key = spelled.setdefault(name.lower(), name)
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _environ(request: Any) -> dict[str, Any]:
    """The environ werkzeug's server builds for these bytes (serving.make_environ), with
    moto's handler keeping the spelling of underscored header names (S3 metadata)."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    url = urlsplit(request.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    body = _body(request.body)
    host, _, port = url.netloc.partition(":")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(url.path)),
        "QUERY_STRING": _latin1(url.query),
        "REQUEST_URI": _latin1(target),
        "RAW_URI": _latin1(target),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": host,
        "SERVER_PORT": port or "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": url.netloc,
        "HTTP_ACCEPT_ENCODING": "identity",  # http.client's, unless the client sent one
    }
    headers = [
        (str(k), v.decode("latin-1") if isinstance(v, bytes) else str(v))
        for k, v in request.headers.items()
    ]
    preserved: dict[str, str] = {}
    for name, value in headers:
        if "_" in name:
            if should_preserve_original_header_name(name):
                value = value.replace("\r\n", "")
                preserved[name] = f"{preserved[name]},{value}" if name in preserved else value
            continue
        key = name.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ and key not in ("HTTP_HOST", "HTTP_ACCEPT_ENCODING"):
                value = f"{environ[key]},{value}"
        environ[key] = value
    dashed = set(environ)
    names: dict[str, str] = {}
    for name, value in preserved.items():
        key = environ_key_for_header(name)
        if key not in dashed:  # an underscored header never stands in for a dashed one
            names.setdefault(key, name)
            environ[key] = value
    if body and "CONTENT_LENGTH" not in environ:
        environ["CONTENT_LENGTH"] = str(len(body))  # what a chunked body decodes to
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
    return environ


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body.read())  # a file or botocore's aws-chunked wrapper


def _latin1(text: str) -> str:
    """WSGI's native strings: the UTF-8 bytes as latin-1, as werkzeug hands them over."""
    return text.encode("utf-8").decode("latin-1")
