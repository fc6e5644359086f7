"""Ctrl-C and SIGTERM stop a run the way a user needs: exit 130 or 143 with one line
saying where it stopped, the report of what ran (tables and page too), and no worker
process left behind, whatever ends the harness."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.report import prepare_report_dir

from .cli import REPO


def _start(report_dir: Path, executor: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            "--days",
            "365",
            "--no-progress",
            "--executor",
            executor,
            "--report-dir",
            str(report_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        # As a terminal starts it: Ctrl-C is not ignored (a background job's would be).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_runs(report_dir: Path, process: subprocess.Popen[str], runs: int = 3) -> None:
    logs = report_dir / "logs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if logs.exists() and logs.read_text().count("REPORT RequestId") >= runs:
            return
        time.sleep(0.2)
    pytest.fail("the run did not get going")


def _workers_of(pid: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(pid), "-f", "runtime/worker.py"], capture_output=True, text=True
    ).stdout
    return [int(p) for p in found.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("sent", "code", "executor"),
    [(signal.SIGINT, 130, "inprocess"), (signal.SIGTERM, 143, "subprocess")],
)
def test_a_signal_writes_what_ran_and_exits_with_its_code(
    tmp_path: Path, sent: signal.Signals, code: int, executor: str
) -> None:
    process = _start(tmp_path, executor)
    _wait_for_runs(tmp_path, process)
    workers = _workers_of(process.pid)
    process.send_signal(sent)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == code, stderr[-2000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("harness: interrupted at 2026-") and last.endswith(
        " of 365 occurrences"
    ), last
    assert "Traceback" not in stderr
    report = json.loads((tmp_path / "report.json").read_text())
    stopped = report["interruption"]
    assert report["interrupted"] and stopped["signal"] == sent.name
    assert 3 <= stopped["occurrences_run"] == len(report["fires"]) < 365
    assert report["end"] == stopped["at"]
    assert all(i["held"] for i in report["invariants"])
    assert (tmp_path / "report.html").exists() and any((tmp_path / "tables").iterdir())
    assert not any(_alive(pid) for pid in workers)


def test_a_killed_harness_leaves_no_worker_behind(tmp_path: Path) -> None:
    process = _start(tmp_path, "subprocess")
    _wait_for_runs(tmp_path, process, runs=1)
    workers = _workers_of(process.pid)
    assert workers

    process.kill()  # SIGKILL: no handler runs
    process.communicate(timeout=60)
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not any(_alive(pid) for pid in workers)


def test_a_new_run_clears_the_earlier_runs_outputs(tmp_path: Path) -> None:
    for name in ("report.json", "report.html", "logs.jsonl", "journal.jsonl"):
        (tmp_path / name).write_text("from an earlier run")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "Old.jsonl").write_text("{}")
    (tmp_path / "notes.txt").write_text("the user's")

    prepare_report_dir(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "tables"]
    assert not any((tmp_path / "tables").iterdir())
