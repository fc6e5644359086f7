"""`harness swarm` finds planted bugs, shrinks each failing plan to the fault that causes
it, and writes a replay command that, run alone, fails the same way.

The planted bugs (tests/planted/): a handler that counts its runs with ADD (a duplicate
delivery counts twice), a copy of our function that drops BatchWriteItem's
UnprocessedItems (records lost), and a handler that reads Retry-After as minutes (its
runs time out).
"""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.options import RunOptions
from harness.swarm import SwarmOptions, parse_seeds, run_swarm

from .cli import REPO, harness

PLANTED = REPO / "tests" / "planted"
DAYS = "6"


def _swarm(report_dir: Path, seeds: str, days: str = DAYS, **run: Any) -> dict[str, Any]:
    """A swarm in this process (one worker), as `harness swarm --workers 1` runs it."""
    options = SwarmOptions(
        run=RunOptions(days=float(days), faults="random", show_progress=False, **run),
        seeds=parse_seeds(seeds),
        seeds_text=seeds,
        workers=1,
        in_process=True,
        report_dir=report_dir,
        show_progress=False,
    )
    return run_swarm(options).document


def _replay(command: str) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "harness", "run"]
    return harness(*words[3:], "--no-progress")


def _failures(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for run in document["runs"] if not run["ok"]]


def test_a_count_kept_with_add_is_found_and_shrunk_to_the_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "swarm"
    swarm = [
        "swarm", "--seeds", "1-40", "--days", DAYS, "--workers", "1", "--max-failures", "1",
        "--handler", "counter.handler", "--code-dir", str(PLANTED),
        "--check", "planted_checks:counts_each_occurrence_once",
        "--report-dir", str(out), "--no-progress",
    ]  # fmt: skip
    result = harness(*swarm)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Failures by cause" in result.stdout and "counted N runs for N" in result.stdout
    document = json.loads((out / "swarm.json").read_text())
    [failure] = _failures(document)
    assert failure["broken"][0].startswith("counted ")
    assert failure["shrink"]["complete"]
    plan = failure["minimal_plan"]
    assert set(plan) == {"delivery", "seed"}  # no API rule, no AWS rule
    assert set(plan["delivery"]) == {"duplicate_rate"}
    assert (out / "seeds" / str(failure["seed"]) / "report.html").exists()
    assert "seeds/" in (out / "swarm.html").read_text()

    replay = _replay(failure["replay"])
    assert replay.returncode == 1
    assert "counts_each_occurrence_once failed: counted " in replay.stderr

    again = harness(*swarm)  # the same command: every seed it ran is done
    assert again.returncode == 1
    summary = json.loads((out / "swarm.json").read_text())["summary"]
    assert summary["ran"] == 0 and summary["resumed"] == failure["seed"]


@pytest.fixture
def sloppy_copy(tmp_path: Path) -> Path:
    """Our function, copied as `sloppy_sync`, with BatchWriteItem's UnprocessedItems dropped."""
    code = tmp_path / "code"
    shutil.copytree(
        REPO / "function", code / "sloppy_sync", ignore=shutil.ignore_patterns("__pycache__")
    )
    store = code / "sloppy_sync" / "store.py"
    careful = 'pending = answer.get("UnprocessedItems") or {}'
    assert careful in store.read_text()  # the line the bug is planted in
    store.write_text(store.read_text().replace(careful, "pending = {}  # planted"))
    return code


def test_a_copy_that_drops_unprocessed_items_shrinks_to_that_aws_rule(
    tmp_path: Path, sloppy_copy: Path
) -> None:
    document = _swarm(
        tmp_path / "swarm",
        "13",  # its plan has the rule, among seven other elements
        handler="sloppy_sync.handler.lambda_handler",
        code_dir=sloppy_copy,
        changes_per_day=50,
    )
    [failure] = _failures(document)
    assert failure["broken"] == ["records match the API"]
    plan = failure["minimal_plan"]
    assert set(plan) == {"aws", "seed"}
    [rule] = plan["aws"]
    assert (
        rule["match"]["operation"] == "dynamodb:BatchWriteItem" and "unprocessed" in rule["fault"]
    )
    assert failure["shrink"]["elements"] > 1 and failure["shrink"]["complete"]

    replay = _replay(failure["replay"])
    assert replay.returncode == 0  # the run completed; its records did not
    replayed = shlex.split(failure["replay"])
    report = json.loads(
        (Path(replayed[replayed.index("--report-dir") + 1]) / "report.json").read_text()
    )
    assert report["truth"]["missing"] and not report["truth"]["ok"]


def test_retry_after_read_as_minutes_shrinks_to_the_429_rule(tmp_path: Path) -> None:
    document = _swarm(
        tmp_path / "swarm",
        "5-8",
        days="10",  # in fewer, a 429 and a slow answer together can be what times out
        handler="retry_after.handler",
        code_dir=PLANTED,
        check="planted_checks:no_run_timed_out",
        changes_per_day=50,
    )
    failures = _failures(document)
    assert failures
    for failure in failures:
        assert "timed out" in failure["broken"][0]
        [rule] = failure["minimal_plan"]["rules"]
        assert rule["fault"]["status"] == 429 and int(rule["fault"]["headers"]["Retry-After"]) >= 5
        assert set(failure["minimal_plan"]) == {"rules", "seed"}
    [group] = document["summary"]["causes"]
    assert group["seeds"] == [f["seed"] for f in failures]
    replay = _replay(failures[0]["replay"])
    assert replay.returncode == 1 and "timed out" in replay.stderr


def test_a_swarm_that_holds_exits_0_and_other_settings_in_its_directory_exit_2(
    tmp_path: Path,
) -> None:
    out = tmp_path / "swarm"
    args = ["--days", "2", "--handler", "heartbeat.handler.handler", "--no-progress"]
    args += ["--code-dir", str(REPO / "examples" / "heartbeat"), "--report-dir", str(out)]
    held = harness("swarm", "--seeds", "1-3", "--workers", "2", *args)
    assert held.returncode == 0, held.stderr[-2000:]
    document = json.loads((out / "swarm.json").read_text())
    assert [r["seed"] for r in document["runs"]] == [1, 2, 3]
    assert all(r["ok"] and r["minimal_plan"] is None for r in document["runs"])
    assert document["summary"]["engine"] == "local" and document["summary"]["workers"] == 2
    assert len((out / "runs.jsonl").read_text().splitlines()) == 3
    assert not (out / "seeds").exists()  # a passing run's files are not kept

    other = harness("swarm", "--seeds", "1-3", "--faults", "flaky", *args)
    assert other.returncode == 2
    assert "other settings" in other.stderr and "Traceback" not in other.stderr


def test_a_local_dask_cluster_runs_the_same_seeds_to_the_same_verdicts(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    args = ["--seeds", "1-3", "--days", "4", "--handler", "counter.handler"]
    args += ["--code-dir", str(PLANTED), "--check", "planted_checks:counts_each_occurrence_once"]
    args += ["--no-progress"]
    here = harness("swarm", *args, "--workers", "1", "--report-dir", str(tmp_path / "here"))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        there = harness(
            "swarm", *args, "--cluster", cluster.scheduler_address,
            "--report-dir", str(tmp_path / "there"),
        )  # fmt: skip
    assert (here.returncode, there.returncode) == (1, 1), there.stderr[-2000:]

    def verdicts(name: str) -> list[tuple[Any, ...]]:
        document = json.loads((tmp_path / name / "swarm.json").read_text())
        return [(r["seed"], r["ok"], r["broken"], r["minimal_plan"]) for r in document["runs"]]

    assert verdicts("here") == verdicts("there")
    summary = json.loads((tmp_path / "there" / "swarm.json").read_text())["summary"]
    assert summary["engine"] == "dask" and summary["workers"] == 2
    assert any(not ok for _, ok, _, _ in verdicts("there"))
    runs = json.loads((tmp_path / "there" / "swarm.json").read_text())["runs"]
    assert len({run["worker"] for run in runs}) == 2  # both of the cluster's workers ran seeds


def test_a_cluster_nobody_serves_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    result = subprocess.run(
        [sys.executable, "-c", "import harness.swarm.engines as e, sys;"
         " e.CONNECT_TIMEOUT_SECONDS = 1; from harness.cli import main;"
         " sys.exit(main(sys.argv[1:]))",
         "swarm", "--seeds", "1", "--cluster", "tcp://127.0.0.1:9", "--report-dir",
         str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Dask scheduler answered" in lines[0]


def test_a_seed_that_kills_its_worker_is_its_error_and_the_others_run(tmp_path: Path) -> None:
    out = tmp_path / "swarm"
    result = harness(
        "swarm", "--seeds", "1-3", "--days", "4", "--workers", "2",
        "--handler", "dies_on_duplicates.handler", "--code-dir", str(PLANTED),
        "--report-dir", str(out), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    runs = {r["seed"]: r for r in json.loads((out / "swarm.json").read_text())["runs"]}
    assert runs[2]["error"].startswith("worker lost, BrokenProcessPool")  # duplicates: 0.5
    assert runs[1]["ok"] and runs[3]["ok"]  # they shared the pool it broke, and ran again


def _start_swarm(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "swarm", "--seeds", "1-30", "--days", "20",
         "--workers", "2", "--handler", "heartbeat.handler.handler",
         "--code-dir", str(REPO / "examples" / "heartbeat"), "--report-dir", str(out),
         "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )  # fmt: skip


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_swarm_keeps_what_finished_and_the_same_command_goes_on(
    tmp_path: Path, signum: int, code: int
) -> None:
    out = tmp_path / "swarm"
    process = _start_swarm(out)
    deadline = time.monotonic() + 120
    while not (out / "runs.jsonl").exists() or not (out / "runs.jsonl").read_text().strip():
        assert time.monotonic() < deadline and process.poll() is None, "no seed finished"
        time.sleep(0.2)
    found = subprocess.run(
        ["pgrep", "-P", str(process.pid), "-f", "spawn_main"], capture_output=True, text=True
    )
    workers = [int(pid) for pid in found.stdout.split()]
    assert workers  # the pool's processes, running seeds
    process.send_signal(signum)  # to the swarm alone: it stops its workers itself
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err[-2000:]
    assert err.strip().startswith("harness: interrupted after") and "Traceback" not in err
    document = json.loads((out / "swarm.json").read_text())
    assert document["interrupted"] and document["summary"]["finished"] < 30
    kept = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert all(run["ok"] for run in kept)  # what finished, finished whole
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # none left behind
    if signum == signal.SIGTERM:  # going on is the same after either
        return

    again = harness(
        "swarm", "--seeds", "1-30", "--days", "20", "--workers", "2",
        "--handler", "heartbeat.handler.handler",
        "--code-dir", str(REPO / "examples" / "heartbeat"), "--report-dir", str(out),
        "--no-progress",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads((out / "swarm.json").read_text())["summary"]
    assert summary["resumed"] == len(kept) and summary["held"] == 30


STATEFUL_CHECK = """
_calls = []


def keeps_count_of_its_calls(report_dir):
    _calls.append(report_dir)
    assert len(_calls) == 1, f"called {len(_calls)} times in one process"
"""


def test_each_seed_imports_the_check_afresh_as_its_replay_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check beside the user (in the current directory), keeping state in its module:
    a new `harness run` starts it afresh, so must each seed."""
    (tmp_path / "stateful_check.py").write_text(STATEFUL_CHECK)
    monkeypatch.chdir(tmp_path)
    document = _swarm(
        tmp_path / "swarm",
        "1-3",
        days="2",
        handler="counter.handler",
        code_dir=PLANTED,
        check="stateful_check:keeps_count_of_its_calls",
    )
    assert [(r["ok"], r["broken"]) for r in document["runs"]] == [(True, [])] * 3
