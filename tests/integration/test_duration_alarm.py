"""The Duration alarm trips where it would on AWS: a naive nightly sync (a user's, not
ours) catching up after a four-day outage of a vendor whose API is slow as it recovers
runs into its timeout, and Lambda's retries do too; with work costing nothing
(`--latency none`) the same week never comes near it."""

from __future__ import annotations

from pathlib import Path

from harness.aws import EmbeddedBackend
from harness.runner import RunOptions, RunResult, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catchup"


def _week(backend: EmbeddedBackend, tmp_path: Path, latency: str) -> RunResult:
    return run(
        RunOptions(
            handler="catchup.handler.handler",
            code_dir=EXAMPLE,
            days=10,
            changes_per_day=3000,
            faults=str(EXAMPLE / "vendor-outage.yaml"),
            latency=latency,
            report_dir=tmp_path / latency.rsplit("/", 1)[-1],
            show_progress=False,
        ),
        backend=backend,
    )


def test_a_slow_catch_up_after_an_outage_trips_the_duration_alarm(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    slow = _week(harness_backend, tmp_path, str(EXAMPLE / "slow-vendor.yaml"))
    free = _week(harness_backend, tmp_path, "none")

    (duration,) = (a for a in slow.report["alarms"] if a["metric"] == "Duration")
    assert duration["times_in_alarm"] >= 1
    first = next(t for t in duration["transitions"] if t["state"] == "ALARM")
    assert "2 of 2 datapoint(s) breaching Average >= 300000" in first["reason"]
    after_outage = [f for f in slow.fires if f.scheduled_time >= "2026-01-08"]
    assert after_outage and all(
        a.status == "timeout" and a.duration_ms == 300_000 for f in after_outage for a in f.attempts
    )
    assert all(f.outcome == "dlq" for f in after_outage)  # it never catches up

    (calm,) = (a for a in free.report["alarms"] if a["metric"] == "Duration")
    assert calm["times_in_alarm"] == 0
    assert max(a.duration_ms for f in free.fires for a in f.attempts) < 60_000
