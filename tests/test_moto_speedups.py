"""The embedded backend's moto speed-ups answer exactly what moto as released answers."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.aws import moto_speedups
from harness.aws.embedded import EmbeddedBackend


@pytest.fixture
def dynamodb(backend: EmbeddedBackend) -> Any:
    backend.reset()
    client = backend.client("dynamodb")
    client.create_table(
        TableName="T",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "when", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    rng = random.Random(3)
    for i in range(120):
        item: dict[str, Any] = {
            "pk": {"S": f"p{rng.randrange(40)}"},
            "sk": {"N": str(rng.choice([-5, 0, 2, 10, 100, 1.5, 33]) + i)},
            "when": {"S": f"2026-01-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z"},
            "flag": {"BOOL": rng.random() < 0.5},
            "tags": {"SS": [f"t{rng.randrange(5)}", "x"]},
            "nested": {"M": {"a": {"L": [{"N": "1"}, {"S": "b"}]}, "n": {"NULL": True}}},
            "blob": {"B": bytes([rng.randrange(256)])},
        }
        if rng.random() < 0.8:
            item["g"] = {"S": rng.choice(["red", "green", "blue"])}
        client.put_item(TableName="T", Item=item)
    return client


def both(call: Any) -> tuple[Any, Any]:
    fast = call()
    with moto_speedups.disabled():
        released = call()
    for answer in (fast, released):
        answer.pop("ResponseMetadata", None)
    return fast, released


def test_the_speedups_are_applied() -> None:
    assert moto_speedups.apply()


@pytest.mark.parametrize("forward", [True, False])
def test_index_queries_agree(dynamodb: Any, forward: bool) -> None:
    for colour in ("red", "green", "blue"):
        request = {
            "TableName": "T",
            "IndexName": "by-g",
            "KeyConditionExpression": "g = :g AND #w < :w",
            "ExpressionAttributeNames": {"#w": "when"},
            "ExpressionAttributeValues": {":g": {"S": colour}, ":w": {"S": "2026-01-20"}},
            "ScanIndexForward": forward,
            "Limit": 7,
        }
        fast, released = both(lambda r=request: dynamodb.query(**r))
        assert fast == released
        assert fast["Items"]
        # and the next page, from the LastEvaluatedKey
        request["ExclusiveStartKey"] = fast["LastEvaluatedKey"]
        assert (
            both(lambda r=request: dynamodb.query(**r))[0]
            == both(lambda r=request: dynamodb.query(**r))[1]
        )


def test_table_queries_and_scans_agree(dynamodb: Any) -> None:
    query = {
        "TableName": "T",
        "KeyConditionExpression": "pk = :p AND sk > :n",
        "FilterExpression": "flag = :t",
        "ExpressionAttributeValues": {
            ":p": {"S": "p7"},
            ":n": {"N": "20"},
            ":t": {"BOOL": True},
        },
    }
    fast, released = both(lambda: dynamodb.query(**query))
    assert fast == released

    fast, released = both(lambda: dynamodb.scan(TableName="T", Limit=50))
    assert fast == released
    assert len(fast["Items"]) == 50


def test_items_are_stored_the_same(dynamodb: Any) -> None:
    item = {
        "sk": {"N": "1"},
        "s": {"S": "text"},
        "n": {"N": "-1.50"},
        "b": {"B": b"\x00\x01"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "m": {"M": {"deep": {"L": [{"BOOL": False}, {"NULL": True}, {"M": {}}]}}},
        "empty": {"L": []},
    }
    dynamodb.put_item(TableName="T", Item={**item, "pk": {"S": "fast"}})
    with moto_speedups.disabled():
        dynamodb.put_item(TableName="T", Item={**item, "pk": {"S": "released"}})

    def get(pk: str) -> Any:
        got = dynamodb.get_item(TableName="T", Key={"pk": {"S": pk}, "sk": {"N": "1"}})["Item"]
        return {k: v for k, v in got.items() if k != "pk"}

    assert get("fast") == get("released")


def test_conditional_updates_agree(dynamodb: Any) -> None:
    def update() -> Any:
        try:
            return dynamodb.update_item(
                TableName="T",
                Key={"pk": {"S": "nope"}, "sk": {"N": "1"}},
                UpdateExpression="SET v = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":v": {"S": "x"}},
            )
        except ClientError as exc:
            return {"code": exc.response["Error"]["Code"]}

    fast, released = both(update)
    assert fast == released == {"code": "ConditionalCheckFailedException"}


def test_the_item_size_limit_still_holds(dynamodb: Any) -> None:
    big = {
        "pk": {"S": "big"},
        "sk": {"N": "1"},
        "a": {"S": "x" * 300_000},
        "b": {"S": "y" * 120_000},
    }

    with pytest.raises(ClientError, match="Item size has exceeded"):
        dynamodb.put_item(TableName="T", Item=big)
    dynamodb.put_item(TableName="T", Item={**big, "b": {"S": "y" * 1000}})
