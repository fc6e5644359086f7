import sys
from pathlib import Path

import pytest

from harness.testing import ScheduledFunction

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # checks.py sits beside the template


@pytest.fixture
def scheduled_function():
    """Our stack and code, its orders loaded before the first morning."""
    return ScheduledFunction(
        template=PROJECT / "template.yaml",
        code_dir=PROJECT / "src",
        data=PROJECT / "data",
        environment={},
    )


@pytest.fixture
def recorded_rates():
    """The rates API as recorded once (record_rates.py), replayed offline."""
    return {"api_cassette": PROJECT / "cassettes" / "rates.yaml", "api_env": "RATES_API_URL"}
