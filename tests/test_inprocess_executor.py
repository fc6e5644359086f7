"""The in-process executor with a user's code directory: it runs the handler found
there, stops it at its deadline, and leaves the process as it found it."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.clock import DeadlineClock, VirtualClock
from harness.errors import BadInput
from harness.runtime.base import FunctionSpec
from harness.runtime.inprocess import InProcessExecutor

START = datetime(2026, 1, 1, tzinfo=UTC)


def spec(code_dir: Path, handler: str = "job.main.handler", timeout: int = 60) -> FunctionSpec:
    return FunctionSpec(
        name="job",
        arn="arn:aws:lambda:us-east-1:123456789012:function:job",
        handler=handler,
        timeout_seconds=timeout,
        memory_mb=128,
        environment={"JOB_SETTING": "on"},
        code_dir=str(code_dir),
    )


def write_job(root: Path, source: str) -> Path:
    (root / "job").mkdir(parents=True)
    (root / "job" / "__init__.py").write_text("")
    (root / "job" / "main.py").write_text(source)
    return root


def test_a_handler_from_a_code_dir_runs_and_leaves_nothing_behind(tmp_path: Path) -> None:
    code = write_job(
        tmp_path, "import os\ndef handler(event, context):\n    return os.environ['JOB_SETTING']\n"
    )
    with InProcessExecutor(spec(code), clock=VirtualClock(START), runtime_environment={}) as ex:
        assert ex.invoke({}, "r1").response == "on"
    assert "JOB_SETTING" not in os.environ
    assert str(code) not in sys.path
    assert not any(name == "job" or name.startswith("job.") for name in sys.modules)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def handler(event, context)\n    return 1\n", "SyntaxError"),
        ("raise RuntimeError('no config')\n", "RuntimeError: no config"),
        ("value = 1\n", "has no function 'handler'"),
    ],
)
def test_a_handler_that_cannot_load_is_one_line_and_leaks_nothing(
    tmp_path: Path, source: str, message: str
) -> None:
    code = write_job(tmp_path, source)
    before = dict(os.environ)
    with (
        pytest.raises(BadInput, match=message) as raised,
        InProcessExecutor(spec(code), clock=VirtualClock(START), runtime_environment={}),
    ):
        pass
    assert "\n" not in str(raised.value)
    assert dict(os.environ) == before
    assert str(code) not in sys.path


def test_the_function_is_stopped_at_its_deadline_whatever_it_catches(tmp_path: Path) -> None:
    code = write_job(
        tmp_path,
        "from function.clock import get_clock\n"
        "def handler(event, context):\n"
        "    clock = get_clock()\n"
        "    try:\n"
        "        clock.sleep(120)\n"
        "    except Exception:\n"
        "        return 'carried on'\n"
        "    return 'finished'\n",
    )
    from function import clock as function_clock

    clock = VirtualClock(START)
    seam = DeadlineClock(clock)
    previous = function_clock.set_clock(seam)
    try:
        with InProcessExecutor(
            spec(code, timeout=60), clock=clock, runtime_environment={}, function_clock=seam
        ) as ex:
            result = ex.invoke({}, "r1")
    finally:
        function_clock.set_clock(previous)
    assert result.status == "timeout"
    assert result.response is None
    assert result.duration_ms == 60_000
    assert seam.deadline is None  # cleared for whatever runs next


def test_a_handler_that_calls_sys_exit_fails_its_invocation_not_the_harness(
    tmp_path: Path,
) -> None:
    code = write_job(tmp_path, "import sys\ndef handler(event, context):\n    sys.exit(4)\n")
    clock = VirtualClock(START)
    with InProcessExecutor(
        spec(code), clock=clock, runtime_environment={}, function_clock=DeadlineClock(clock)
    ) as ex:
        first, second = ex.invoke({}, "r1"), ex.invoke({}, "r2")
    assert first.status == second.status == "function_error"
    assert first.error == "Runtime.ExitError: Runtime exited with error: exit status 4"
