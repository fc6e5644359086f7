"""Run `python -m harness ...` as a user would, from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def harness(
    *args: str,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 300,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """`env` is laid over this process's environment (a None value unsets)."""
    environment = None
    if env is not None:
        environment = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
        for name in (k for k, v in env.items() if v is None):
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=environment,
    )
