"""The backend seam: what every AWS the harness deploys to and fires against offers.

`EmbeddedBackend` (moto's server in this process) and `RemoteBackend` (LocalStack or
AWS) both satisfy it; deploying a stack and reading its trigger back need nothing more.
What only the embedded backend offers (reading moto's models directly: table items,
queue messages, usage) the runner asks of `EmbeddedBackend` by name.
"""

from __future__ import annotations

from typing import Any, Protocol


class AwsBackend(Protocol):
    region: str
    account: str

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at this backend's endpoint."""
        ...
