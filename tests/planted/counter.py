"""Planted bug: counts its runs with DynamoDB's ADD. EventBridge and Lambda deliver at
least once, so a duplicate delivery counts one occurrence twice."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["SYNC_TABLE"])


def handler(event, context):
    table.update_item(
        Key={"syncId": "counter#runs"},
        UpdateExpression="ADD runs :one",
        ExpressionAttributeValues={":one": 1},
    )
    return {"counted": event["time"]}
