"""Planted crash: takes its whole process down when an event comes a second time (a
duplicate delivery), as a native library's abort would; other seeds run clean."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["SYNC_TABLE"])


def handler(event, context):
    try:
        table.put_item(
            Item={"syncId": f"seen#{event['id']}"},
            ConditionExpression="attribute_not_exists(syncId)",
        )
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        os._exit(3)
    return {"seen": event["id"]}
