"""A WSGI app served by werkzeug on 127.0.0.1 in a background thread: the embedded
backend (moto) and the AWS fault proxy are both one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

WsgiApp = Callable[..., Iterable[bytes]]


def drain(result: Iterable[bytes]) -> list[bytes]:
    """An app's answer read to the end, and closed as WSGI asks of whoever reads it."""
    try:
        return list(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


class WsgiServer:
    def __init__(self, app: WsgiApp, *, port: int = 0, handler: type | None = None) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        base: type = handler or WSGIRequestHandler

        class _Handler(base):  # type: ignore[misc]
            # Headers and body go out in separate writes; with Nagle on, the body can
            # wait for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_Handler)
        self._served = app
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval: shutting down waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def wsgi_app(self) -> WsgiApp:
        """The app this server serves, for callers in this process (the direct transport,
        the AWS fault proxy): the same answers as over HTTP without a socket per call."""
        return self._served

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
