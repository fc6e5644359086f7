"""A CDK app's scheduled function: counts the items in its table each night."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    count = table.scan(Select="COUNT")["Count"]
    table.put_item(Item={"pk": f"count#{event['time']}", "items": count})
    print(f"{count} items at {event['time']}")
    return {"items": count}
