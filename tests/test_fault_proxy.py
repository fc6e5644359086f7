"""The AWS fault proxy: AWS-shaped errors, UnprocessedItems, latency on the clock, seeded
dice and a journal, in front of the embedded backend."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.aws.embedded import CREDENTIALS, EmbeddedBackend
from harness.aws.fault_proxy import AwsFaultProxy
from harness.aws.wsgi_server import WsgiServer
from harness.clock import VirtualClock
from mock_api import FaultRuleError, parse_plan

START = datetime(2026, 1, 1, tzinfo=UTC)
TABLE = "Things"


@pytest.fixture(scope="module")
def backend() -> Iterator[EmbeddedBackend]:
    with EmbeddedBackend() as backend:
        backend.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        backend.client("secretsmanager").create_secret(Name="token", SecretString="s3cret")
        yield backend


def proxy(
    backend: EmbeddedBackend,
    *rules: dict[str, Any],
    seed: int = 1,
    clock: VirtualClock | None = None,
) -> AwsFaultProxy:
    plan = parse_plan({"aws": list(rules)})
    return AwsFaultProxy(
        backend.endpoint_url, plan, seed=seed, clock=clock or VirtualClock(START), origin=START
    )


def client(service: str, url: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    ).client(service, endpoint_url=url, config=Config(retries={"total_max_attempts": 1}))


def put_requests(ids: list[str]) -> dict[str, Any]:
    return {TABLE: [{"PutRequest": {"Item": {"id": {"S": i}}}} for i in ids]}


def test_calls_without_a_matching_rule_pass_through_and_are_journalled(
    backend: EmbeddedBackend,
) -> None:
    with proxy(
        backend, {"match": {"operation": "sqs:*"}, "fault": {"error": "ThrottlingException"}}
    ) as p:
        db = client("dynamodb", p.url)
        db.put_item(TableName=TABLE, Item={"id": {"S": "plain"}})
        item = db.get_item(TableName=TABLE, Key={"id": {"S": "plain"}})["Item"]
        secret = client("secretsmanager", p.url).get_secret_value(SecretId="token")
    assert item == {"id": {"S": "plain"}}
    assert secret["SecretString"] == "s3cret"
    names = [entry.path for entry in p.entries()]
    assert names == ["dynamodb:PutItem", "dynamodb:GetItem", "secretsmanager:GetSecretValue"]
    assert all(entry.status == 200 and entry.fault is None for entry in p.entries())


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("InternalServerError", 500),
        ("ConditionalCheckFailedException", 400),
    ],
)
def test_errors_reach_boto3_as_aws_sends_them(
    backend: EmbeddedBackend, error: str, status: int
) -> None:
    rule = {"match": {"operation": "dynamodb:PutItem"}, "fault": {"error": error}}
    with proxy(backend, rule) as p, pytest.raises(ClientError) as raised:
        client("dynamodb", p.url).put_item(TableName=TABLE, Item={"id": {"S": "refused"}})
    answer = raised.value.response
    assert answer["Error"]["Code"] == error
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == status
    assert answer["Error"]["Message"]  # AWS's wording, not empty
    assert "Item" not in backend.client("dynamodb").get_item(
        TableName=TABLE, Key={"id": {"S": "refused"}}
    )
    assert p.entries()[0].fault == error and p.entries()[0].status == status


def test_other_json_services_get_their_error_codes_too(backend: EmbeddedBackend) -> None:
    rule = {
        "match": {"operation": "secretsmanager:GetSecretValue"},
        "fault": {"error": "ThrottlingException", "message": "slow down"},
    }
    with proxy(backend, rule) as p, pytest.raises(ClientError) as raised:
        client("secretsmanager", p.url).get_secret_value(SecretId="token")
    assert raised.value.response["Error"] == {"Code": "ThrottlingException", "Message": "slow down"}


def test_part_of_a_batch_comes_back_unprocessed_and_the_rest_is_written(
    backend: EmbeddedBackend,
) -> None:
    ids = [f"batch-{n}" for n in range(10)]
    rule = {
        "match": {"operation": "dynamodb:BatchWriteItem", "times": 1},
        "fault": {"unprocessed": 4},
    }
    with proxy(backend, rule) as p:
        db = client("dynamodb", p.url)
        answer = db.batch_write_item(RequestItems=put_requests(ids))
        held = [w["PutRequest"]["Item"]["id"]["S"] for w in answer["UnprocessedItems"][TABLE]]
        stored = {i for i in ids if "Item" in db.get_item(TableName=TABLE, Key={"id": {"S": i}})}
        assert len(held) == 4
        assert stored == set(ids) - set(held)
        retried = db.batch_write_item(RequestItems=answer["UnprocessedItems"])  # rule spent
    assert retried["UnprocessedItems"] == {}
    assert set(ids) <= {item["id"]["S"] for item in backend.table_items(TABLE)}


def test_a_whole_batch_held_back_never_reaches_the_table(backend: EmbeddedBackend) -> None:
    ids = ["whole-1", "whole-2"]
    rule = {"match": {"operation": "dynamodb:BatchWriteItem"}, "fault": {"unprocessed": 25}}
    with proxy(backend, rule) as p:
        answer = client("dynamodb", p.url).batch_write_item(RequestItems=put_requests(ids))
    assert len(answer["UnprocessedItems"][TABLE]) == 2
    assert not {item["id"]["S"] for item in backend.table_items(TABLE)} & set(ids)


def test_latency_is_spent_on_the_virtual_clock_not_the_wall(backend: EmbeddedBackend) -> None:
    clock = VirtualClock(START)
    rule = {"match": {"operation": "dynamodb:GetItem"}, "fault": {"delay_ms": 90_000}}
    with proxy(backend, rule, clock=clock) as p:
        started = time.perf_counter()
        client("dynamodb", p.url).get_item(TableName=TABLE, Key={"id": {"S": "x"}})
        wall = time.perf_counter() - started
    assert clock.now() == START + timedelta(seconds=90)
    assert wall < 5
    assert p.entries()[0].logical_ms == 90_000


def test_a_window_follows_the_clock(backend: EmbeddedBackend) -> None:
    clock = VirtualClock(START)
    rule = {
        "match": {"operation": "dynamodb:GetItem", "window": {"from": "1d", "to": "2d"}},
        "fault": {"error": "InternalServerError"},
    }
    with proxy(backend, rule, clock=clock) as p:
        db = client("dynamodb", p.url)
        db.get_item(TableName=TABLE, Key={"id": {"S": "x"}})
        clock.advance_to(START + timedelta(days=1, hours=1))
        with pytest.raises(ClientError):
            db.get_item(TableName=TABLE, Key={"id": {"S": "x"}})
        clock.advance_to(START + timedelta(days=2))
        db.get_item(TableName=TABLE, Key={"id": {"S": "x"}})
    assert [e.status for e in p.entries()] == [200, 500, 200]


def test_the_dice_follow_what_is_asked_not_the_arrival_order(backend: EmbeddedBackend) -> None:
    """Parallel batch writes arrive in any order; the same requests meet the same faults."""
    rule = {
        "match": {"operation": "dynamodb:PutItem", "probability": 0.5},
        "fault": {"error": "ThrottlingException"},
    }
    ids = [f"dice-{n}" for n in range(40)]

    def faulted(order: list[str], seed: int = 1) -> set[str]:
        hit = set()
        with proxy(backend, rule, seed=seed) as p:
            db = client("dynamodb", p.url)
            for i in order:
                try:
                    db.put_item(TableName=TABLE, Item={"id": {"S": i}})
                except ClientError:
                    hit.add(i)
        return hit

    forwards = faulted(ids)
    assert 5 < len(forwards) < 35
    assert faulted(list(reversed(ids))) == forwards
    assert faulted(ids, seed=2) != forwards


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"match": {"operation": "BatchWriteItem"}, "fault": {"error": "ThrottlingException"}},
            "service:Operation",
        ),
        (
            {"match": {"operation": "dynamodb:Query"}, "fault": {"unprocessed": 3}},
            "BatchWriteItem only",
        ),
        ({"fault": {"error": "ThrottlingException", "unprocessed": 3}}, "exclude each other"),
        ({"fault": {"error": "no such thing!"}}, "not an AWS error code"),
        ({"fault": {}}, "at least one of"),
        ({"fault": {"status": 503}}, "go with an error"),
    ],
)
def test_bad_aws_rules_are_refused_in_one_line(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(FaultRuleError, match=message) as raised:
        parse_plan({"aws": [rule]})
    assert "\n" not in str(raised.value)


def test_unprocessed_never_touches_calls_other_than_batch_writes() -> None:
    with pytest.raises(FaultRuleError, match="BatchWriteItem only"):
        parse_plan({"aws": [{"match": {"operation": "dynamodb:*"}, "fault": {"unprocessed": 3}}]})


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("iam", lambda c: c.get_role(RoleName="r"), "ServiceUnavailable", 503),  # query, XML
        ("s3", lambda c: c.list_objects_v2(Bucket="b"), "SlowDown", 503),  # rest-xml
        ("scheduler", lambda c: c.get_schedule(Name="s"), "ThrottlingException", 400),  # rest-json
    ],
)
def test_errors_come_in_each_protocols_own_shape(
    backend: EmbeddedBackend, service: str, call: Any, code: str, status: int
) -> None:
    rule = {"match": {"operation": f"{service}:*"}, "fault": {"error": code, "status": status}}
    with proxy(backend, rule) as p, pytest.raises(ClientError) as raised:
        call(client(service, p.url))
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_requests_reach_the_backend_as_sent_encoding_and_all() -> None:
    seen: dict[str, str] = {}

    def upstream(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["encoding"] = environ.get("HTTP_CONTENT_ENCODING", "")
        seen["body"] = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])).hex()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    body = gzip.compress(b"Action=PutMetricData&Namespace=x")
    with (
        WsgiServer(upstream) as server,
        AwsFaultProxy(
            server.url, parse_plan({}), seed=1, clock=VirtualClock(START), origin=START
        ) as p,
    ):
        answer = httpx.post(
            p.url,
            content=body,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/x-amz-json-1.0"},
        )
    assert answer.text == "ok"
    assert seen == {"encoding": "gzip", "body": body.hex()}


def test_parallel_requests_meet_the_same_faults_whatever_their_order(
    backend: EmbeddedBackend,
) -> None:
    rule = {
        "match": {"operation": "dynamodb:PutItem", "probability": 0.5},
        "fault": {"error": "ThrottlingException"},
    }
    ids = [f"parallel-{n}" for n in range(48)]

    def faulted() -> set[str]:
        with proxy(backend, rule) as p:
            db = client("dynamodb", p.url)

            def put(i: str) -> str | None:
                try:
                    db.put_item(TableName=TABLE, Item={"id": {"S": i}})
                except ClientError:
                    return i
                return None

            with ThreadPoolExecutor(max_workers=8) as pool:
                return {i for i in pool.map(put, ids) if i}

    first = faulted()
    assert 5 < len(first) < 43
    assert all(faulted() == first for _ in range(3))
