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


def test_queries_see_every_kind_of_write(dynamodb: Any) -> None:
    """The partition index follows puts, deletes, batches, updates that move an item to
    another partition or out of the index, and transactions."""
    rng = random.Random(11)
    colours = ["red", "green", "blue", "pink"]

    def key() -> dict[str, Any]:
        return {"pk": {"S": f"p{rng.randrange(40)}"}, "sk": {"N": str(rng.randrange(200))}}

    def item() -> dict[str, Any]:
        return {**key(), "g": {"S": rng.choice(colours)}, "when": {"S": "2026-01-05"}}

    writes = {
        "put": lambda: dynamodb.put_item(TableName="T", Item=item()),
        "delete": lambda: dynamodb.delete_item(TableName="T", Key=key()),
        "batch": lambda: dynamodb.batch_write_item(
            RequestItems={
                "T": [{"PutRequest": {"Item": item()}} for _ in range(5)]
                + [{"DeleteRequest": {"Key": key()}}]
            }
        ),
        "move": lambda: dynamodb.update_item(
            TableName="T",
            Key=key(),
            UpdateExpression="SET g = :g, #w = :w",
            ExpressionAttributeNames={"#w": "when"},
            ExpressionAttributeValues={":g": {"S": rng.choice(colours)}, ":w": {"S": "2026-01-02"}},
        ),
        "unindex": lambda: dynamodb.update_item(
            TableName="T", Key=key(), UpdateExpression="REMOVE g"
        ),
        "transact": lambda: dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "T", "Item": item()}},
                {"Update": {"TableName": "T", "Key": key(), "UpdateExpression": "REMOVE g"}},
            ]
        ),
    }
    for _ in range(60):
        writes[rng.choice(sorted(writes))]()
        colour = rng.choice(colours)
        index_query = {
            "TableName": "T",
            "IndexName": "by-g",
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": colour}},
        }
        fast, released = both(lambda q=index_query: dynamodb.query(**q))
        assert fast == released
        table_query = {
            "TableName": "T",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"p{rng.randrange(40)}"}},
        }
        fast, released = both(lambda q=table_query: dynamodb.query(**q))
        assert fast == released


def test_a_number_partition_matches_however_the_number_is_written(backend: EmbeddedBackend) -> None:
    backend.reset()
    client = backend.client("dynamodb")
    client.create_table(
        TableName="N",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-n",
                "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for number, written in enumerate(["1", "1.0", "1.00", "2", "10"]):
        client.put_item(TableName="N", Item={"id": {"S": f"i{number}"}, "n": {"N": written}})
    query = {
        "TableName": "N",
        "IndexName": "by-n",
        "KeyConditionExpression": "n = :n",
        "ExpressionAttributeValues": {":n": {"N": "1.000"}},
    }
    fast, released = both(lambda: client.query(**query))
    assert fast == released
    assert fast["Count"] == 3


def test_a_query_walks_only_its_partition(dynamodb: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from harness.aws import moto_index

    table = dynamodb_backends["123456789012"]["us-east-1"].get_table("T")
    red = [
        item for item in table.all_items() if "g" in item.attrs and item.attrs["g"].value == "red"
    ]
    candidates = moto_index.candidates(table, "g", DynamoType({"S": "red"}))
    assert candidates is not None
    assert sorted(id(item) for item in candidates) == sorted(id(item) for item in red)
    assert 0 < len(candidates) < len(table.all_items()) / 2


def test_answers_are_the_same_bytes(dynamodb: Any) -> None:
    """Every kind of AttributeValue, as moto as released writes it, byte for byte."""
    every_kind = {
        "pk": {"S": "kinds"},
        "sk": {"N": "1"},
        "s": {"S": "text"},
        "empty": {"S": ""},
        "n": {"N": "-1.50"},
        "b": {"B": b"\x00\xff"},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "nothing": {"NULL": True},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"k": {"BOOL": False}}}, {"L": []}]},
        "m": {"M": {"deep": {"M": {"er": {"NULL": True}}}, "list": {"L": [{"B": b"\x03"}]}}},
    }
    dynamodb.put_item(TableName="T", Item=every_kind)

    def raw(call: Any) -> bytes:
        bodies: list[bytes] = []

        def keep(response_dict: Any, **_: Any) -> None:
            bodies.append(response_dict["body"])

        dynamodb.meta.events.register("before-parse.dynamodb.*", keep)
        try:
            call()
        finally:
            dynamodb.meta.events.unregister("before-parse.dynamodb.*", keep)
        return bodies[-1]

    calls = [
        lambda: dynamodb.get_item(TableName="T", Key={"pk": {"S": "kinds"}, "sk": {"N": "1"}}),
        lambda: dynamodb.query(
            TableName="T",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "kinds"}},
        ),
        lambda: dynamodb.scan(TableName="T", Limit=30),
    ]
    for call in calls:
        fast = raw(call)
        with moto_speedups.disabled():
            released = raw(call)
        assert fast == released
