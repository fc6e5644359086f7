"""The AWS the harness runs against: the embedded backend (moto's server in this
process, with its speed-ups), remote backends (LocalStack, AWS), and the fault proxy
that stands between the function and either."""

from .base import AwsBackend
from .embedded import EmbeddedBackend
from .fault_proxy import AwsFaultProxy
from .remote import DEFAULT_LOCALSTACK, RemoteBackend, wait_for_localstack
from .wsgi_server import WsgiServer

__all__ = [
    "DEFAULT_LOCALSTACK",
    "AwsBackend",
    "AwsFaultProxy",
    "EmbeddedBackend",
    "RemoteBackend",
    "WsgiServer",
    "wait_for_localstack",
]
