"""A code directory's `requirements.txt`, installed for the Lambda platform as `sam build`
installs it: manylinux wheels for the runtime's Python version and architecture, from
any interpreter (pip's `--platform`, `--python-version`, `--implementation` and
`--only-binary` flags). A package with no such wheel is one line naming it.

Installs are cached by the requirements' text and the platform (in the user's cache
directory), so a run that deploys the same function again pays nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import BadInput

REQUIREMENTS = "requirements.txt"
MAX_REQUIREMENTS_BYTES = 1_000_000
PIP_TIMEOUT_SECONDS = 900
# Lambda's architectures, as manylinux platform tags (manylinux2014 is glibc 2.17, which
# every Python runtime's Amazon Linux meets; pip also takes newer manylinux wheels).
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
_MISSING = re.compile(r"No matching distribution found for (\S+)")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lambda-schedule-harness" / "dependencies"


def installed_requirements(
    code_dir: Path, *, python_version: str = "3.12", architecture: str = "x86_64"
) -> Path | None:
    """The directory `code_dir`'s requirements are installed in for the Lambda platform
    (None when it has no requirements.txt)."""
    requirements = code_dir / REQUIREMENTS
    if not requirements.is_file():
        return None
    if requirements.stat().st_size > MAX_REQUIREMENTS_BYTES:
        raise BadInput(f"{requirements} is over 1 MB")
    text = requirements.read_bytes()
    platform = PLATFORMS[architecture]
    key = hashlib.sha256(text + f"|{platform}|{python_version}".encode()).hexdigest()[:24]
    target = cache_root() / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=target.parent))
    try:
        _pip_install(requirements, staging, platform, python_version)
        try:
            staging.rename(target)
        except OSError:  # another run installed the same set meanwhile
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _pip_install(requirements: Path, target: Path, platform: str, python_version: str) -> None:
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-input", "--no-compile",
        "--target", str(target),
        "--platform", platform,
        "--implementation", "cp",
        "--python-version", python_version,
        "--only-binary=:all:",
        "--requirement", str(requirements),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise BadInput(f"installing {requirements} took over 15 minutes; gave up") from None
    if done.returncode == 0:
        return
    missing = _MISSING.findall(done.stderr)
    if missing:
        raise BadInput(
            f"{requirements}: no wheel of {', '.join(missing)} for Lambda's {platform}"
            f" Python {python_version}: pin a version that publishes one, or build the"
            " package in a Lambda-like container (sam build --use-container)"
        )
    last = [line for line in done.stderr.splitlines() if line.strip()][-1:] or ["pip failed"]
    raise BadInput(f"{requirements}: pip could not install it: {last[0].strip()}")
