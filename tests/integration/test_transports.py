"""The direct transport (the default) and `--transport http` are the same AWS: the same
seeds, with API and AWS faults, give the same tables, journals and outcomes through both;
only wall times differ.

With the function's parallel batch writes (BATCH_SIZE=4) the order in which concurrent
calls reach the fault proxy is the threads' to decide, over either transport; so the
journal-for-journal comparison writes one batch at a time, and the run with parallel
writes compares everything but the AWS journal's order."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from harness.aws import direct
from harness.options import DEFAULT_START
from harness.testing import ScheduleReport

SEEDS = [4, 9]  # random plans with AWS error, delay and unprocessed-items rules
WALL_FIELDS = frozenset({"wall_time", "wall_at", "duration_ms", "wall_ms"})


def without_wall_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_wall_times(v) for k, v in value.items() if k not in WALL_FIELDS}
    if isinstance(value, list):
        return [without_wall_times(v) for v in value]
    return value


def seen_by_the_function(report: ScheduleReport) -> dict[str, Any]:
    return without_wall_times(
        {
            "tables": report.result.tables,
            "journal": report.journal,
            "aws_journal": report.aws_journal,
            "fires": [asdict(fire) for fire in report.fires],
            "aws_calls": report.report["aws_calls"],
            "invariants": report.report["invariants"],
            "faults": report.report["faults"],
            "aws_faults": report.report["aws_faults"],
        }
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_the_direct_and_http_transports_agree_under_faults(run_schedule: Any, seed: int) -> None:
    def fire(transport: str) -> ScheduleReport:
        return run_schedule(
            days=20,
            seed=seed,
            start=DEFAULT_START,  # each run from the same instant
            faults="random",
            changes_per_day=50,
            transport=transport,
            require_faults=False,
            environment={"ENABLE_BATCH_PROCESSING": "false"},
        )

    before = direct.answered()
    over_direct = fire("direct")
    in_process = direct.answered() - before
    over_http = fire("http")
    assert direct.answered() - before == in_process  # http really went over sockets

    assert over_direct.report["transport"] == "direct"
    assert over_http.report["transport"] == "http"
    # the function's calls and the proxy's forwards, at least, were answered in process
    assert in_process >= sum(over_direct.report["aws_calls"].values())
    assert over_direct.report["faults"]["faulted"] > 0
    assert over_direct.report["aws_faults"]["faulted"] > 0
    assert seen_by_the_function(over_direct) == seen_by_the_function(over_http)


def test_parallel_writes_agree_but_for_the_order_of_concurrent_calls(run_schedule: Any) -> None:
    def fire(transport: str) -> dict[str, Any]:
        report = run_schedule(
            days=10,
            seed=SEEDS[0],
            start=DEFAULT_START,
            faults="random",
            changes_per_day=100,
            transport=transport,
            require_faults=False,
        )
        seen = seen_by_the_function(report)
        calls = seen.pop("aws_journal")
        seen["aws_calls_made"] = sorted(
            (call["path"], call["status"], call["fault"] or "") for call in calls
        )
        return seen

    assert fire("direct") == fire("http")


def test_a_subprocess_function_reaches_aws_over_http(run_schedule: Any) -> None:
    report = run_schedule(days=2, executor="subprocess")
    assert report.report["transport"] == "http"
    assert report.outcomes == {"succeeded": 2}


def test_a_delay_past_the_deadline_lands_as_it_does_over_http(
    run_schedule: Any, tmp_path: Any
) -> None:
    """The embedded AWS keeps the real clocks over the direct transport too: a fault's
    delay that outlives the function still lets the write land and be journalled, and the
    function finds out when it next reads its clock."""
    slow = tmp_path / "slow.json"
    slow.write_text(
        '{"aws": [{"match": {"operation": "dynamodb:BatchWriteItem"},'
        ' "fault": {"delay_ms": 400000}}]}'
    )

    def fire(transport: str) -> dict[str, Any]:
        report = run_schedule(
            days=2,
            start=DEFAULT_START,
            faults=str(slow),
            transport=transport,
            environment={"ENABLE_BATCH_PROCESSING": "false"},
        )
        assert report.result.tables["SyncRecords"], "the delayed writes landed"
        assert report.report["totals"]["timeouts"] > 0
        return seen_by_the_function(report)

    assert fire("direct") == fire("http")


def test_the_embedded_aws_answers_on_real_clocks_inside_a_handlers_virtual_time(
    backend: Any,
) -> None:
    from datetime import UTC, datetime

    from harness.clock import VirtualClock
    from harness.runtime.virtual_time import bound

    backend.reset()
    s3 = backend.client("s3")
    with direct.routed({backend.endpoint_url: backend.wsgi_app}):
        before = direct.answered()
        with bound(VirtualClock(datetime(2030, 1, 1, tzinfo=UTC))):
            s3.create_bucket(Bucket="clocks")
            s3.put_object(Bucket="clocks", Key="k", Body=b"x")
            head = s3.head_object(Bucket="clocks", Key="k")
        assert direct.answered() - before == 3
    assert head["LastModified"].year == datetime.now(UTC).year  # moto's clock, not 2030
    headers = head["ResponseMetadata"]["HTTPHeaders"]
    assert headers["server"].startswith("Werkzeug/")  # as werkzeug's server answers
    assert headers["date"].endswith("GMT")
