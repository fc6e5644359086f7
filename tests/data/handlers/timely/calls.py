"""A handler as users write it: AWS calls through boto3, and HTTP requests through the
standard library and httpx, each timed with the handler's own clock."""

import json
import os
import time
import urllib.request

import boto3
import httpx

dynamodb = boto3.client("dynamodb")


def _timed(call):
    started = time.monotonic()
    call()
    return round((time.monotonic() - started) * 1000, 3)


def caller(event, context):
    table = os.environ["SYNC_TABLE"]
    spans = {
        "put": [
            _timed(
                lambda i=i: dynamodb.put_item(
                    TableName=table, Item={"syncId": {"S": f"calls#{event['time']}#{i}"}}
                )
            )
            for i in range(3)
        ],
        "get": _timed(
            lambda: dynamodb.get_item(TableName=table, Key={"syncId": {"S": "calls#none"}})
        ),
        "urllib": _timed(
            lambda: urllib.request.urlopen(os.environ["EXTERNAL_API_URL"] + "/_health").read()
        ),
        "httpx": _timed(lambda: httpx.get(os.environ["EXTERNAL_API_URL"] + "/_health")),
    }
    print(json.dumps({"event_time": event["time"], "spans": spans}))
    return {"ok": True}


def stumbles_once(event, context):
    """Sleeps past its timeout on the first occurrence only."""
    if event["time"].endswith("T01:00:00Z"):
        time.sleep(10)
    return {"ok": True}
