"""A user's own stack through the public CLI: their SAM or CloudFormation template, seed
data, their API behind the fault engine (or a cassette), and their check."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.aws.embedded import EmbeddedBackend
from harness.clock import VirtualClock
from harness.latency import charges
from harness.runner import RunOptions, run
from harness.runtime import virtual_time

from .cli import REPO, harness

CLEANUP = REPO / "examples" / "sam-cleanup"
REPORT = REPO / "examples" / "nightly-report"


@pytest.fixture
def audit_api() -> Iterator[str]:
    sys.path.insert(0, str(CLEANUP))
    try:
        from audit_stub import running
    finally:
        sys.path.remove(str(CLEANUP))
    with running() as url:
        yield url


def cleanup_run(tmp_path: Path, api: str, *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    result = harness(
        "run",
        "--template", str(CLEANUP / "template.yaml"),
        "--data", str(CLEANUP / "data"),
        "--api-upstream", api,
        "--api-env", "AUDIT_API_URL",
        "--days", "14",
        "--report-dir", str(out),
        "--no-progress",
        *extra,
    )  # fmt: skip
    return result.returncode, result.stderr, out


def test_a_sam_project_runs_with_its_data_api_faults_and_check(
    tmp_path: Path, audit_api: str
) -> None:
    code, stderr, out = cleanup_run(
        tmp_path,
        audit_api,
        "--faults", str(CLEANUP / "audit-outage.yaml"),
        "--check", "checks:every_expired_session_archived_once",
    )  # fmt: skip

    assert code == 0, stderr
    report = json.loads((out / "report.json").read_text())
    assert report["timezone"] == "Europe/Paris"
    assert report["data"]["items"] == {"sam-cleanup-Sessions-2A7DAB81047C": 40}
    assert report["check"]["held"]
    assert report["truth"] is None  # the reference sync's rows are not theirs
    journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert [e["status"] for e in journal].count(503) == 6
    assert {e["fault"] for e in journal if e["status"] == 503} == {"503"}
    (table,) = (out / "tables").glob("*Sessions*.jsonl")
    assert len(table.read_text().splitlines()) == report["tables"][table.stem]["items"]
    (bucket,) = (out / "buckets").iterdir()
    assert len(list((bucket / "archive").iterdir())) == 40 - report["tables"][table.stem]["items"]


def test_a_failing_check_is_exit_1_and_one_line(tmp_path: Path, audit_api: str) -> None:
    (tmp_path / "strict.py").write_text(
        "def nothing_left(report_dir):\n    assert False, 'sessions are left in the table'\n"
    )
    result = harness(
        "run",
        "--template", str(CLEANUP / "template.yaml"),
        "--data", str(CLEANUP / "data"),
        "--api-upstream", audit_api,
        "--api-env", "AUDIT_API_URL",
        "--days", "2",
        "--check", "strict:nothing_left",
        "--report-dir", str(tmp_path / "out"),
        "--no-progress",
        cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stderr == (
        "harness: check strict:nothing_left failed: sessions are left in the table\n"
    )
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["invariants"][-1] == {
        "name": "check strict:nothing_left",
        "held": False,
        "detail": "sessions are left in the table",
    }


def test_a_cloudformation_project_replays_its_recorded_api(tmp_path: Path) -> None:
    result = harness(
        "run",
        "--template", str(REPORT / "template.yaml"),
        "--code-dir", str(REPORT / "src"),
        "--data", str(REPORT / "data"),
        "--api-cassette", str(REPORT / "cassettes" / "rates.yaml"),
        "--api-env", "RATES_API_URL",
        "--check", "checks:one_right_report_a_day",
        "--faults", "flaky",
        "--seed", "3",
        "--days", "12",
        "--report-dir", str(tmp_path / "out"),
        "--no-progress",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["faults"]["faulted"] > 0  # the recorded API, with faults on top
    assert report["check"]["held"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-upstream", "ftp://example.com"], "must be an http:// or https:// URL"),
        (
            ["--api-upstream", "http://127.0.0.1:9", "--api-cassette", "README.md"],
            "give --api-upstream or --api-cassette, not both",
        ),
        (["--api-cassette", "nowhere.yaml"], "is not a file"),
        (["--api-cassette", "mock_api/profiles/flaky.yaml"], "not a vcrpy cassette"),
        (["--api-env", "NOT-A-NAME"], "must be a variable name"),
        (["--check", "no colon"], "must look like package.module:function"),
        (["--check", "nowhere_at_all:f"], "--check module 'nowhere_at_all' cannot be imported"),
        (["--data", "nowhere"], "is not a directory"),
        (["--data", "docs"], "is not one of dynamodb/, s3/, secrets/"),
    ],
)
def test_bad_user_stack_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = harness("run", "--days", "1", "--no-progress", "--report-dir", "out/bad", *args)

    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_rule_of_yours_that_rewrites_records_pages_is_refused_before_your_api(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: spoiled\n    fault: {kind: poison}\n")

    result = harness(
        "run", "--days", "1", "--no-progress", "--report-dir", str(tmp_path / "out"),
        "--api-upstream", "http://127.0.0.1:9", "--faults", str(rules),
    )  # fmt: skip

    assert result.returncode == 2
    assert "spoiled: kind 'poison' rewrites the records API's pages" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def report_run_with_data(tmp_path: Path, table: str, lines: str) -> tuple[int, str, Path]:
    """nightly-report, one day, with `lines` as the seed data of `table`."""
    data = tmp_path / "data" / "dynamodb"
    data.mkdir(parents=True)
    (data / f"{table}.jsonl").write_text(lines)
    result = harness(
        "run",
        "--template", str(REPORT / "template.yaml"),
        "--code-dir", str(REPORT / "src"),
        "--data", str(tmp_path / "data"),
        "--days", "1",
        "--report-dir", str(tmp_path / "out"),
        "--no-progress",
    )  # fmt: skip
    return result.returncode, result.stderr, data / f"{table}.jsonl"


def test_bad_seed_data_names_the_file_and_line(tmp_path: Path) -> None:
    lines = '{"orderId": "o-1", "placedOn": "2026-01-01"}\n{oops\n'

    code, stderr, path = report_run_with_data(tmp_path, "Orders", lines)

    assert code == 2
    assert f"{path}:2: not a JSON item" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_seed_data_for_a_table_the_stack_lacks_is_refused(tmp_path: Path) -> None:
    code, stderr, _ = report_run_with_data(tmp_path, "Customers", '{"id": "c-1"}\n')

    assert code == 2
    assert "the stack has no table 'Customers'; its tables: Orders (nightly-report-Orders-" in (
        stderr
    )


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_the_functions_aws_calls_are_counted_by_operation(
    harness_backend: EmbeddedBackend, tmp_path: Path, executor: str
) -> None:
    options = RunOptions(
        template=REPORT / "template.yaml",
        code_dir=REPORT / "src",
        data=REPORT / "data",
        api_cassette=REPORT / "cassettes" / "rates.yaml",
        api_env="RATES_API_URL",
        days=3,
        executor=executor,
        report_dir=tmp_path,
        show_progress=False,
    )

    # A call made in virtual time outside any run (as a test may) counts as no run's init.
    charges.install(None, virtual_time.current_request_id)
    with virtual_time.bound(VirtualClock(datetime(2030, 1, 1, tzinfo=UTC))):
        harness_backend.client("s3").list_buckets()

    report = run(options, backend=harness_backend).report

    assert report["aws_calls"] == {"dynamodb:Query": 3, "s3:PutObject": 3, "sns:Publish": 3}
