"""Socket-level faults (TCP reset, a close without an answer) need the connection, which
ASGI does not hand to apps. uvicorn takes the HTTP protocol class as configuration, so
ours records each connection's transport under the (server, client) addresses that
uvicorn also puts in the request scope.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_connections: dict[tuple[Any, Any], asyncio.Transport] = {}


class TrackedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (the fast parser) that registers its transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _connections[(self.server, self.client)] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        _connections.pop((self.server, self.client), None)
        super().connection_lost(exc)


def transport_of(scope: dict[str, Any]) -> asyncio.Transport | None:
    server, client = scope.get("server"), scope.get("client")
    key = (tuple(server) if server else None, tuple(client) if client else None)
    return _connections.get(key)


def reset(transport: asyncio.Transport) -> None:
    """Close with a TCP RST: SO_LINGER on with a zero timeout, then abort."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
