"""The backend seam: what every AWS the harness deploys to and fires against offers.

`EmbeddedBackend` (moto's server in this process) and `RemoteBackend` (LocalStack or
AWS) both satisfy it; the deploy, the read-back of rules and schedules, and the
delivery's queues use nothing else.
"""

from __future__ import annotations

from typing import Any, Protocol


class AwsBackend(Protocol):
    region: str
    account: str

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at this backend's endpoint."""
        ...
