"""`harness live` on the embedded backend: APScheduler fires the deployed function on a
scaled clock until Ctrl-C, which stops it cleanly with a summary."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.clock import LiveRunClock, LiveStopped, ScaledClock

from .cli import REPO

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_ctrl_c_stops_a_live_run_with_a_summary(tmp_path: Path) -> None:
    live = subprocess.Popen(
        [
            sys.executable, "-m", "harness", "live", "--schedule", "rate(1 hour)",
            "--speed", "3600", "--start", "2026-03-01T00:00:00Z", "--faults", "flaky",
            "--report-dir", str(tmp_path),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    fires = tmp_path / "fires.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        not fires.exists() or len(fires.read_text().splitlines()) < 3
    ):
        time.sleep(0.2)
    live.send_signal(signal.SIGINT)
    stdout, stderr = live.communicate(timeout=60)

    assert live.returncode == 0, stderr
    assert "Stopping: no more fires" in stdout
    assert "Live run" in stdout
    finished = [json.loads(line) for line in fires.read_text().splitlines()]
    assert len(finished) >= 3
    scheduled = sorted(f["scheduled_time"] for f in finished)
    assert scheduled[:3] == ["2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z", "2026-03-01T03:00:00Z"]
    assert (tmp_path / "logs.jsonl").read_text()  # the function's logs, as in a run


def test_the_scaled_clock_runs_speed_times_faster_and_maps_both_ways() -> None:
    clock = ScaledClock(START, speed=3600)
    wall = clock.wall_at(START + timedelta(hours=2))

    assert clock.at_wall(wall) == START + timedelta(hours=2)
    assert (wall - clock.wall_at(START)) == timedelta(seconds=2)
    before = clock.now()
    clock.sleep(1800)  # half an hour: half a wall second
    assert timedelta(minutes=30) <= clock.now() - before < timedelta(minutes=40)


def test_stopping_the_clock_ends_every_wait_at_once() -> None:
    clock = ScaledClock(START, speed=1)
    stopped: list[BaseException] = []

    def wait() -> None:
        try:
            clock.sleep(3600)
        except LiveStopped as exc:
            stopped.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    started = time.monotonic()
    clock.stop()
    waiter.join(timeout=5)

    assert len(stopped) == 1
    assert time.monotonic() - started < 1
    with pytest.raises(LiveStopped):
        clock.sleep(1)


def test_the_functions_work_takes_real_time_and_its_waits_are_scaled() -> None:
    """At speed 3600 a 0.1 s computation is 0.1 s long to the function, not 6 minutes;
    a 60 s backoff costs 1/60 s of wall time and counts as 60 s."""
    run = LiveRunClock(ScaledClock(START, speed=3600))
    run.begin()
    started = run.now()
    time.sleep(0.1)
    worked = (run.now() - started).total_seconds()
    run.sleep(60)
    waited = (run.now() - started).total_seconds() - worked

    assert 0.1 <= worked < 0.5
    assert 60 <= waited < 60.5
