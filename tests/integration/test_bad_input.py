"""Bad input of every class is one line and exit 2, before any work starts: numbers
that do not fit, hostile documents, outputs that cannot be written, handlers that
misbehave at import, and a mock API that cannot listen."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .cli import REPO, harness

HUGE = "9" * 5000
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False)
)


def _one_line(result: subprocess.CompletedProcess[str], prefix: str = "harness: error: ") -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--days", "nan"], "--days must be above 0"),
        (["run", "--days", "inf"], "--days must be above 0"),
        (["run", "--days", "99999999"], "at most 36,525"),
        (["run", "--start", "0001-01-01T00:00:00Z"], "--start must be from 1970-01-01"),
        (["run", "--start", "9999-12-31T00:00:00Z"], "--start must be from 1970-01-01"),
        (["run", "--schedule", f"rate({HUGE} minutes)"], "AWS allows at most 256"),
        (["run", "--schedule", f"cron({HUGE} 2 * * ? *)"], "AWS allows at most 256"),
        (["schedule", "next", f"rate({HUGE} minutes)"], "AWS allows at most 256"),
        (["schedule", "explain", f"cron(0 {HUGE} * * ? *)"], "AWS allows at most 256"),
        (["schedule", "next", "rate(1 day)", "--count", "99999999"], "--count must be 1 to"),
        (["schedule", "next", "rate(1 day)", "--after", "0001-01-01"], "--after must be from"),
        (["run", "--changes-per-day", "99999999999999999999"], "--changes-per-day must be"),
        (["run", "--reserved-concurrency", "99999999999999999999"], "at most 10,000"),
        (["run", "--seed", "-1"], "--seed must be 0 to"),
        (["run", "--seed", HUGE], "--seed"),
        (["run", "--faults", "x" * 5000], "unknown fault profile"),
        (["run", "--latency", "x" * 5000], "neither a profile"),
        (["run", "--tz", "x" * 5000], "not an IANA time zone"),
        (["run", "--transport", "x" * 5000], "--transport must be direct or http"),
        (["swarm", "--seeds", "9-1"], "must run upwards"),
        (["swarm", "--seeds", HUGE], "at most 1,000 characters"),
        (["swarm", "--seeds", "1-3", "--workers", "0"], "--workers must be 1 to"),
        (["swarm", "--seeds", "1", "--workers", "2", "--cluster", "tcp://x:1"], "not both"),
        (["swarm", "--seeds", "1", "--shrink-runs", HUGE], "--shrink-runs"),
        (["swarm", "--seeds", "1", "--days", "inf"], "--days must be above 0"),
        (["swarm", "--seeds", "1", "--faults", "x" * 5000], "unknown fault profile"),
    ],
)
def test_numbers_and_names_that_do_not_fit_are_one_line(args: list[str], says: str) -> None:
    line = _one_line(harness(*args))
    assert says in line
    assert len(line) < 300


@pytest.mark.parametrize(
    ("option", "name", "text", "says"),
    [
        (
            "--faults",
            "window.yaml",
            "rules:\n- match: {window: {from: 99999999999d}}\n  fault: {status: 503}\n",
            "is neither",
        ),
        (
            "--faults",
            "window2.yaml",
            "rules:\n- match: {window: {from: 9999999d}}\n  fault: {status: 503}\n",
            "at most 36525d",
        ),
        (
            "--faults",
            "bomb.yaml",
            "rules:\n- fault: {status: 500, body: {x: *i}}\n" + BOMB,
            "expands to over",
        ),
        ("--faults", "deep.json", "[" * 200_000 + "]" * 200_000, "nesting depth"),
        ("--latency", "bomb.yaml", BOMB + "http: {p50_ms: 1, p99_ms: 2}\n", "expands to over"),
        ("--latency", "deep.yaml", "{a: " * 100 + "1" + "}" * 100, "nested deeper than 64"),
        ("--template", "bomb.yaml", BOMB + "Resources: {}\n", "expands to over"),
        ("--template", "deep.json", "[" * 200_000 + "]" * 200_000, "nesting depth"),
    ],
)
def test_hostile_documents_are_one_line(
    tmp_path: Path, option: str, name: str, text: str, says: str
) -> None:
    if text.startswith("rules:\n- fault"):  # the bomb's aliases come first
        text = BOMB + text.replace("rules:\n", "rules:\n", 1)
    path = tmp_path / name
    path.write_text(text)

    assert says in _one_line(harness("run", option, str(path), "--days", "1"))


def test_a_report_nested_200000_deep_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("[" * 200_000 + "]" * 200_000)

    assert "nested deeper than 64 levels" in _one_line(harness("report", str(tmp_path)))


@pytest.mark.parametrize("blocked", ["report.json", "report.html", "logs.jsonl"])
def test_an_output_that_is_a_directory_stops_the_run_before_it_starts(
    tmp_path: Path, blocked: str
) -> None:
    (tmp_path / blocked).mkdir()

    line = _one_line(harness("run", "--days", "1", "--report-dir", str(tmp_path)))

    assert f"{blocked} is a directory" in line
    assert not (tmp_path / "tables").exists()  # nothing ran


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
@pytest.mark.parametrize(
    ("module", "says"),
    [
        ("import sys\nsys.exit(3)\n", "sys.exit(3)|exited with status 3"),
        ("handler = 42\n", "has no function 'handler'"),
    ],
)
def test_a_handler_that_misbehaves_at_import_is_one_line(
    tmp_path: Path, executor: str, module: str, says: str
) -> None:
    (tmp_path / "job.py").write_text(module)

    line = _one_line(
        harness(
            "run",
            "--days",
            "1",
            "--handler",
            "job.handler",
            "--code-dir",
            str(tmp_path),
            "--executor",
            executor,
            "--report-dir",
            str(tmp_path / "out"),
        )
    )

    assert any(part in line for part in says.split("|")), line


def _mock_api(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_api", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_the_mock_api_on_a_port_in_use_or_a_bad_host_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        in_use = _mock_api("--port", port)
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            {"rules": [{"match": {"window": {"from": "9999999d"}}, "fault": {"status": 503}}]}
        )
    )

    assert "Address already in use" in _one_line(in_use, "mock_api: error: ")
    assert "--host" in _one_line(_mock_api("--host", "no.such.host.invalid"), "mock_api: error: ")
    assert "36525d" in _one_line(_mock_api("--faults", str(rules)), "mock_api: error: ")
