"""Looking inside a run with a real AWS client: `harness run --serve` keeps the embedded
AWS serving the run's final state, `harness live` says where it is; awscli reads both."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from .cli import REPO

AWS = str(Path(sys.executable).with_name("aws"))
ENDPOINT = re.compile(r"(http://127\.0\.0\.1:\d+)")
REPORT = REPO / "examples" / "nightly-report"


def aws(endpoint: str, *args: str) -> dict:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "anything",
        "AWS_SECRET_ACCESS_KEY": "anything",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [AWS, "--region", "us-east-1", "--endpoint-url", endpoint, "--output", "json", *args],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    )  # fmt: skip
    return json.loads(done.stdout or "{}")


def wait_for_endpoint(process: subprocess.Popen[str], marker: str) -> str:
    """The endpoint on the first stdout line that holds `marker`."""
    assert process.stdout is not None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if marker in line and (found := ENDPOINT.search(line)):
            return found.group(1)
    process.kill()
    raise AssertionError(f"no {marker!r} line: {process.communicate()}")


def started(*args: str) -> subprocess.Popen[str]:
    """`python -m harness ARGS` running in the background, its stdout readable."""
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_run_serve_keeps_the_final_state_for_the_aws_cli(tmp_path: Path) -> None:
    run = started(
        "run", "--serve", "--no-progress", "--days", "3",
        "--template", str(REPORT / "template.yaml"), "--code-dir", str(REPORT / "src"),
        "--data", str(REPORT / "data"),
        "--api-cassette", str(REPORT / "cassettes" / "rates.yaml"),
        "--api-env", "RATES_API_URL", "--report-dir", str(tmp_path / "out"),
    )  # fmt: skip
    try:
        endpoint = wait_for_endpoint(run, "serves the run's final state")

        tables = aws(endpoint, "dynamodb", "list-tables")["TableNames"]
        (orders,) = [t for t in tables if "-Orders-" in t]
        scanned = aws(endpoint, "dynamodb", "scan", "--table-name", orders, "--select", "COUNT")
        assert scanned["Count"] == 49  # data/dynamodb/Orders.jsonl
        buckets = aws(endpoint, "s3api", "list-buckets")["Buckets"]
        (reports,) = [b["Name"] for b in buckets if "-reports-" in b["Name"]]
        listed = aws(endpoint, "s3api", "list-objects-v2", "--bucket", reports)["Contents"]
        assert len(listed) == 3  # a report each morning
    finally:
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr


def test_live_prints_an_endpoint_the_aws_cli_reads(tmp_path: Path) -> None:
    live = started(
        "live", "--schedule", "rate(1 hour)", "--speed", "3600", "--report-dir", str(tmp_path)
    )
    try:
        endpoint = wait_for_endpoint(live, "AWS endpoint")

        rules = aws(endpoint, "events", "list-rules")["Rules"]
        assert [r["ScheduleExpression"] for r in rules] == ["rate(1 hour)"]
    finally:
        live.send_signal(signal.SIGINT)
        _, stderr = live.communicate(timeout=60)
    assert live.returncode == 0, stderr
