"""`harness up/down/logs` (make up/down/logs) turn Docker's failures into one line each;
a stand-in `docker` on PATH plays the engine, since these machines have none."""

from __future__ import annotations

import stat
from pathlib import Path

from .cli import REPO, harness


def fake_docker(tmp_path: Path, *, info: int = 0, up: int = 0) -> Path:
    """A `docker` that logs its arguments and exits as told for `info` and `compose up`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path / "calls.log"}\n'
        f'case "$1" in info) echo "Cannot connect to the Docker daemon" >&2; exit {info};; esac\n'
        f'case "$*" in *" up "*) echo "container localstack is unhealthy" >&2; exit {up};; esac\n'
        "exit 0\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def run_up(
    tmp_path: Path, bin_dir: Path | None, token: str | None = "ls-token"
) -> tuple[int, str, str]:
    """`harness up` with only `bin_dir` on PATH (an empty one: no docker at all)."""
    if bin_dir is None:
        bin_dir = tmp_path / "empty"
        bin_dir.mkdir()
    env = {"PATH": str(bin_dir), "LOCALSTACK_AUTH_TOKEN": token}
    result = harness("up", "--wait", "5", env=env)
    return result.returncode, result.stdout, result.stderr


def test_no_docker_is_one_line_that_says_what_to_do(tmp_path: Path) -> None:
    code, _, stderr = run_up(tmp_path, None)

    assert code == 2
    assert stderr.strip() == (
        "harness: error: Docker is not installed (no `docker` on PATH): install Docker Engine"
        " or Docker Desktop for `make up`; `make run` needs no Docker"
    )


def test_no_localstack_token_is_one_line(tmp_path: Path) -> None:
    code, _, stderr = run_up(tmp_path, fake_docker(tmp_path), token=None)

    assert code == 2
    assert "LOCALSTACK_AUTH_TOKEN is not set" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_a_stopped_engine_is_one_line(tmp_path: Path) -> None:
    code, _, stderr = run_up(tmp_path, fake_docker(tmp_path, info=1))

    assert code == 2
    assert "the Docker engine is not running (Cannot connect to the Docker daemon)" in stderr


def test_a_stack_that_is_not_healthy_in_time_is_one_line(tmp_path: Path) -> None:
    code, _, stderr = run_up(tmp_path, fake_docker(tmp_path, up=1))

    assert code == 2
    assert "did not come up healthy within 5 s (container localstack is unhealthy)" in stderr
    assert "make logs" in stderr


def test_up_builds_starts_and_waits_for_health_on_our_compose_file(tmp_path: Path) -> None:
    code, stdout, stderr = run_up(tmp_path, fake_docker(tmp_path))

    assert code == 0, stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[-1] == (
        f"compose --file {REPO / 'docker-compose.yml'} up --detach --build --wait --wait-timeout 5"
    )
    assert "make logs" in stdout


def test_down_and_logs_need_no_token(tmp_path: Path) -> None:
    bin_dir = fake_docker(tmp_path)
    env = {"PATH": str(bin_dir), "LOCALSTACK_AUTH_TOKEN": None}

    assert harness("down", env=env).returncode == 0
    assert harness("logs", env=env).returncode == 0
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[0].endswith("down --volumes --remove-orphans")
    assert calls[1].endswith("logs --follow --tail 200")
