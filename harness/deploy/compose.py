"""`harness up`, `down` and `logs`: the Docker Compose stack (LocalStack, the mock API,
the harness firing live), with the checks that turn Docker's failures into one line."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ..errors import BadInput

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
LIVE_OUT = ROOT / "out" / "live"  # mounted into the harness container
TOKEN = "LOCALSTACK_AUTH_TOKEN"


def _docker() -> str:
    docker = shutil.which("docker")
    if docker is None:
        raise BadInput(
            "Docker is not installed (no `docker` on PATH): install Docker Engine or Docker"
            " Desktop for `make up`; `make run` needs no Docker"
        )
    return docker


def _compose(docker: str, *arguments: str) -> list[str]:
    return [docker, "compose", "--file", str(COMPOSE_FILE), *arguments]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _check_engine(docker: str) -> None:
    answer = subprocess.run(
        [docker, "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise BadInput(
            f"the Docker engine is not running ({_last_line(answer.stderr)}): start it"
            " (Docker Desktop, or `sudo systemctl start docker`), then `make up` again"
        )
    version = subprocess.run(
        _compose(docker, "version", "--short"), capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        raise BadInput(
            "Docker Compose v2 is missing (`docker compose version` failed): install the"
            " compose plugin, then `make up` again"
        )


def up(wait_seconds: int = 300) -> None:
    """Build and start the stack, and wait until LocalStack and the mock API are healthy
    and the harness has started (it deploys, then fires)."""
    docker = _docker()
    if not os.environ.get(TOKEN):
        raise BadInput(
            f"{TOKEN} is not set: LocalStack's image needs one (create it at"
            f" https://app.localstack.cloud/settings/auth-tokens), `export {TOKEN}=...`,"
            " then `make up`"
        )
    _check_engine(docker)
    # Made here, so it is the user's: Docker would make a missing one owned by root, and
    # the harness container (uid 1000) could not write to it.
    LIVE_OUT.mkdir(parents=True, exist_ok=True)
    command = _compose(
        docker, "up", "--detach", "--build", "--wait", "--wait-timeout", str(wait_seconds)
    )
    answer = subprocess.run(command, capture_output=True, text=True, check=False)
    if answer.returncode != 0:
        raise BadInput(
            f"the stack did not come up healthy within {wait_seconds} s"
            f" ({_last_line(answer.stderr)}); see `make logs`, then `make down`"
        )


def run_compose(arguments: Sequence[str]) -> int:
    """`docker compose ARGS` on our compose file, in the foreground. The file requires the
    LocalStack token for every command; stopping or reading logs needs none."""
    docker = _docker()
    environment = {TOKEN: "not-needed-to-stop-or-read-logs", **os.environ}
    return subprocess.run(_compose(docker, *arguments), check=False, env=environment).returncode
