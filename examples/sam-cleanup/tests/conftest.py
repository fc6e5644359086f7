import sys
from pathlib import Path

import pytest

from harness.testing import ScheduledFunction

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # audit_stub and checks sit beside the template

from audit_stub import running  # noqa: E402


@pytest.fixture
def scheduled_function():
    """Our SAM stack, its sessions loaded before the first night."""
    return ScheduledFunction(template=PROJECT / "template.yaml", data=PROJECT / "data")


@pytest.fixture
def audit_api():
    with running() as url:
        yield url
