"""Fuzzing what a user's own project hands the harness: seed data lines, cassettes, SAM
templates, the upstream URL, the check's name, and the proxy's answers to any request.
Valid, or one line of BadInput (a 4xx or 502 over HTTP); never a traceback.

`make test` runs a bounded number of examples; `make fuzz` runs many more
(HARNESS_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.clock import VirtualClock
from harness.deploy.cloudformation import Template
from harness.deploy.sam import expand
from harness.deploy.seed_data import _items
from harness.errors import BadInput
from harness.options import check_api
from harness.report.checks import check_spec
from mock_api import FaultRuleError
from mock_api.upstream import CassetteUpstream, create_upstream_app

EXAMPLES = int(os.environ.get("HARNESS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def one_line(exc: Exception) -> None:
    assert "\n" not in str(exc) and str(exc)


@FUZZ
@given(st.one_of(st.binary(max_size=300), JSON.map(lambda v: json.dumps(v).encode())))
def test_a_seed_data_line_is_an_item_or_one_line_naming_its_place(line: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Table.jsonl"
        path.write_bytes(line.replace(b"\n", b" ") + b"\n")
        try:
            items = list(_items(path))
        except BadInput as exc:
            one_line(exc)
            assert str(path) in str(exc)
            return
    for item in items:
        assert all(isinstance(v, dict) and len(v) == 1 for v in item.values())


def test_nesting_deeper_than_dynamodb_allows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Table.jsonl"
    path.write_text('{"id": "a", "deep": ' + "[" * 40 + "]" * 40 + "}\n")
    try:
        list(_items(path))
    except BadInput as exc:
        assert "nested more than 32 levels" in str(exc)
    else:
        raise AssertionError("accepted 40 levels")


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        JSON.map(yaml.safe_dump),
        st.fixed_dictionaries({"interactions": st.lists(JSON, max_size=3)}).map(yaml.safe_dump),
    )
)
def test_a_cassette_loads_or_is_one_line(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "cassette.yaml"
        path.write_text(text)
        try:
            CassetteUpstream(path)
        except FaultRuleError as exc:
            one_line(exc)


FUNCTION_PROPERTIES = st.dictionaries(
    st.sampled_from(
        ["Handler", "Runtime", "Timeout", "MemorySize", "Events", "Policies", "Environment",
         "InlineCode", "CodeUri", "Layers", "Architectures", "AutoPublishAlias"]
    ),
    JSON,
    max_size=6,
)  # fmt: skip


@FUZZ
@given(FUNCTION_PROPERTIES)
def test_a_sam_function_expands_or_is_one_line(properties: dict[str, Any]) -> None:
    body = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Job": {"Type": "AWS::Serverless::Function", "Properties": properties}},
    }
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "template.json"
        path.write_text(json.dumps(body))
        try:
            template = Template.parse(path)
            expand(template, {}, region="us-east-1", upload=lambda d: ("bucket", "key.zip"))
        except BadInput as exc:
            one_line(exc)


@FUZZ
@given(st.text(max_size=300), st.text(max_size=300))
def test_an_upstream_url_and_a_check_name_are_checked_in_one_line(url: str, spec: str) -> None:
    for call in (lambda: check_api(url, None, "EXTERNAL_API_URL"), lambda: check_spec(spec)):
        try:
            call()
        except BadInput as exc:
            one_line(exc)


def test_the_proxy_answers_502_in_one_line_when_the_upstream_is_down() -> None:
    from mock_api.upstream import HttpUpstream

    app = create_upstream_app(
        HttpUpstream("http://127.0.0.1:9"),
        clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)),
        seed=1,
    )
    with TestClient(app) as client:
        answer = client.get("/anything?x=1")
    assert answer.status_code == 502
    assert "did not answer" in answer.json()["error"]
    journal = app.state.api.journal.entries()
    assert [(e.path, e.status) for e in journal] == [("/anything", 502)]


def test_a_key_that_cannot_be_a_file_is_left_out_of_the_dump(
    harness_backend: Any, tmp_path: Path
) -> None:
    from harness.report.document import dump_buckets

    harness_backend.reset()
    s3 = harness_backend.client("s3")
    s3.create_bucket(Bucket="reports")
    for key in ("2026", "2026/01.csv", "x" * 300, "ok.txt"):
        s3.put_object(Bucket="reports", Key=key, Body=b"1")

    stats = dump_buckets(s3, tmp_path)

    assert stats == {"reports": {"objects": 4, "bytes": 4, "dumped": 2}}
    assert (tmp_path / "reports" / "ok.txt").read_bytes() == b"1"


def test_built_in_plans_in_front_of_any_api_leave_records_faults_out() -> None:
    from mock_api import load_faults
    from mock_api.rules import DATA_KINDS
    from mock_api.upstream import any_path

    for spec in ("chaos", "bad-data", "random"):
        plan = any_path(load_faults(spec, seed=1))
        assert all(r.fault.kind not in DATA_KINDS for r in plan.rules), spec
        assert all(r.match.path != "/records" for r in plan.rules), spec


def test_the_proxys_control_plane_refuses_records_faults_with_422() -> None:
    from mock_api.upstream import HttpUpstream

    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    app = create_upstream_app(HttpUpstream("http://127.0.0.1:9"), clock=clock, seed=1)
    with TestClient(app) as client:
        answer = client.post("/_faults", json={"rules": [{"fault": {"kind": "poison"}}]})
    assert answer.status_code == 422
    assert "rewrites the records API's pages" in answer.json()["detail"]


def test_a_cassette_answer_without_a_status_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {
                            "method": "GET",
                            "uri": "http://x/a",
                            "body": None,
                            "headers": {},
                        },
                        "response": {"headers": {}, "body": {"string": "{}"}},
                    }
                ],
            }
        )
    )
    try:
        CassetteUpstream(path)
    except FaultRuleError as exc:
        assert "interaction 1's response needs status.code" in str(exc)
    else:
        raise AssertionError("a cassette with no status loaded")


def test_a_typed_number_given_as_a_number_is_one_line(harness_backend: Any, tmp_path: Path) -> None:
    from harness.deploy.embedded_stack import StackResource
    from harness.deploy.seed_data import load_data

    harness_backend.reset()
    harness_backend.client("dynamodb").create_table(
        TableName="T",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    (tmp_path / "dynamodb").mkdir()
    (tmp_path / "dynamodb" / "T.jsonl").write_text('{"id": {"N": 3}}\n')
    resources = [StackResource("T", "AWS::DynamoDB::Table", "T")]
    try:
        load_data(harness_backend, tmp_path, resources)
    except BadInput as exc:
        one_line(exc)
    else:
        raise AssertionError("a number where DynamoDB JSON wants a string was taken")
