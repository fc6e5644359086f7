"""Fuzzing what users and their scripts hand the project: every option of `harness run`
and `harness schedule`, rule documents as files and over HTTP, and the mock API's query
and control-plane parameters. The property is always the same: valid, or exit 2 with
one line (a 4xx over HTTP), never a traceback, and the API still serves.

`make test` runs a bounded number of examples; `make fuzz` runs many more
(HARNESS_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import harness.cli
import harness.swarm.swarm
from harness import runner
from harness.aws.embedded import EmbeddedBackend
from harness.cli import main
from harness.deploy.cloudformation import Template
from harness.deploy.provision import StackSpec
from harness.deploy.stacks import deploy_to_embedded
from harness.errors import BadInput
from harness.schedules import Schedule
from mock_api import Dataset, FaultRuleError, create_app, load_faults

EXAMPLES = int(os.environ.get("HARNESS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "-1",
            "0",
            "1e309",
            "9" * 5000,
            "",
            " ",
            "0x10",
            "1_000",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-02-30",
            "\x00",
            "../..",
            "/dev/null/x",
            "rate(0 minutes)",
            "cron(* * * * * *)",
            "x" * 300,
        ]
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(min_size=0, max_size=40).filter(lambda t: "\x00" not in t),
)
RUN_OPTIONS = [
    "--schedule",
    "--tz",
    "--start",
    "--days",
    "--seed",
    "--executor",
    "--env",
    "--changes-per-day",
    "--faults",
    "--latency",
    "--retry-attempts",
    "--max-event-age",
    "--async-retry-attempts",
    "--async-max-event-age",
    "--reserved-concurrency",
    "--duplicate-rate",
    "--flexible-window",
    "--start-date",
    "--end-date",
    "--handler",
    "--code-dir",
    "--function-timeout",
    "--input",
    "--template",
]


class _Valid(Exception):
    """The options passed every check: the run would start."""


def _prepare_only(options: runner.RunOptions, console: Any = None, **where: Any) -> Any:
    runner._prepare(options)
    raise _Valid


def _exit_of(argv: list[str]) -> tuple[int | None, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except _Valid:
            code = None
    return code, err.getvalue()


def _assert_one_line_or_valid(code: int | None, err: str) -> None:
    assert "Traceback" not in err
    if code is not None:
        assert code == 2, (code, err[-500:])
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("harness: error: "), err[-500:]


@FUZZ
@given(pairs=st.lists(st.tuples(st.sampled_from(RUN_OPTIONS), HOSTILE), min_size=1, max_size=3))
def test_any_run_options_are_valid_or_one_line(
    pairs: list[tuple[str, str]], monkeypatch_run: None
) -> None:
    with tempfile.TemporaryDirectory() as out:
        argv = ["run", "--report-dir", out, "--no-progress"]
        for option, value in pairs:
            argv += [option, value]
        _assert_one_line_or_valid(*_exit_of(argv))


SWARM_OPTIONS = [
    "--seeds",
    "--days",
    "--faults",
    "--workers",
    "--cluster",
    "--shrink-runs",
    "--max-failures",
    "--handler",
    "--code-dir",
    "--check",
    "--template",
    "--env",
    "--start",
    "--schedule",
    "--api-upstream",
]


def _checked_only(*args: Any, **kwargs: Any) -> Any:
    raise _Valid  # every option passed: the engine would start


@FUZZ
@given(pairs=st.lists(st.tuples(st.sampled_from(SWARM_OPTIONS), HOSTILE), min_size=1, max_size=3))
def test_any_swarm_options_are_valid_or_one_line(pairs: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as out, pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness.swarm.swarm, "engine_for", _checked_only)
        argv = ["swarm", "--seeds", "1-3", "--report-dir", out, "--no-progress"]
        for option, value in pairs:
            argv += [option, value]
        _assert_one_line_or_valid(*_exit_of(argv))


@FUZZ
@given(
    command=st.sampled_from(["next", "explain"]),
    expression=st.one_of(
        HOSTILE,
        st.builds(
            lambda a, b: f"{a}({b})",
            st.sampled_from(["cron", "rate", "at"]),
            st.text(alphabet="0123456789*?/-,#LW ?abcMONFRIJANminuteshoursday", max_size=40),
        ),
    ),
    extra=st.lists(
        st.tuples(st.sampled_from(["--tz", "--after", "--count", "--kind"]), HOSTILE), max_size=2
    ),
)
def test_any_schedule_command_is_valid_or_one_line(
    command: str, expression: str, extra: list[tuple[str, str]]
) -> None:
    argv = ["schedule", command, "--", expression]
    for option, value in extra:
        argv[2:2] = [option, value]
    code, err = _exit_of(argv)
    assert code in (0, 2)
    _assert_one_line_or_valid(None if code == 0 else code, err)


_JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.text(max_size=12)
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "rules",
                    "aws",
                    "match",
                    "fault",
                    "window",
                    "from",
                    "to",
                    "status",
                    "kind",
                    "probability",
                    "first",
                    "every",
                    "nth",
                    "delay_ms",
                    "headers",
                    "body",
                    "records",
                    "path",
                    "method",
                    "operation",
                    "error",
                    "seed",
                    "times",
                    "name",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@FUZZ
@given(document=_JSON)
def test_any_rule_document_is_rules_or_one_line_from_a_file_and_a_422_over_http(
    document: Any, api: TestClient
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text(yaml.safe_dump(document))
        try:
            load_faults(str(path))
        except FaultRuleError as exc:
            assert "\n" not in str(exc)
    answer = api.post("/_faults", content=json.dumps(document))
    assert answer.status_code in (200, 422)
    api.delete("/_faults")
    assert api.get("/_health").status_code == 200


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["updated_since", "updated_until", "page_size", "cursor", "x"]),
        HOSTILE,
        max_size=4,
    ),
    clock=HOSTILE,
)
def test_any_query_or_clock_is_an_answer_or_a_4xx_and_the_api_still_serves(
    params: dict[str, str], clock: str, api: TestClient
) -> None:
    answer = api.get("/records", params=params, headers={"Authorization": "Bearer tkn"})
    assert answer.status_code in (200, 400), answer.text[:300]
    assert api.post("/_clock", json={"now": clock}).status_code in (200, 422)
    assert api.post("/_clock", json={"now": "2026-02-01T00:00:00Z"}).status_code == 200
    assert api.get("/_health").status_code == 200


TEMPLATE_PARAMETERS = [
    "FunctionName",
    "Handler",
    "MemorySize",
    "Timeout",
    "ReservedConcurrency",
    "Env",
    "ExternalApiUrl",
    "ApiToken",
    "RecordsTableName",
    "SyncTableName",
    "SecretName",
    "TriggerKind",
    "TriggerName",
    "ScheduleExpression",
    "ScheduleTimezone",
    "FlexibleWindowMinutes",
    "ScheduleStartDate",
    "ScheduleEndDate",
    "ScheduleInput",
    "RetryAttempts",
    "MaxEventAge",
    "AsyncRetryAttempts",
    "AsyncMaxEventAge",
    "PointInTimeRecovery",
]


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(TEMPLATE_PARAMETERS), HOSTILE, max_size=3))
def test_any_template_parameters_deploy_or_are_one_line(
    changes: dict[str, str], harness_backend: EmbeddedBackend
) -> None:
    spec = StackSpec()
    schedule = Schedule.parse("cron(0 2 * * ? *)", created=datetime(2026, 1, 1, tzinfo=UTC))
    parameters = {**spec.parameters(schedule, "http://127.0.0.1:9", "tok"), **changes}
    harness_backend.reset()
    try:
        deploy_to_embedded(harness_backend, Template.load(spec.template), parameters, b"zip")
    except BadInput as exc:
        assert "\n" not in str(exc) and "Traceback" not in str(exc)


@pytest.fixture(scope="module")
def api() -> TestClient:
    app = create_app(Dataset(seed=3, origin=datetime(2026, 1, 1, tzinfo=UTC)), token="tkn")
    with TestClient(app) as client:
        client.post("/_clock", json={"now": "2026-02-01T00:00:00Z"})
        yield client  # type: ignore[misc]


@pytest.fixture(scope="module")
def monkeypatch_run() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness.cli, "run", _prepare_only)
        yield
