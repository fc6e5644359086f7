"""Archive and delete the sessions that have expired, and tell the audit service.

Order matters for retries: archive, then audit, then delete. A run that fails halfway
(the audit service down) leaves the sessions in place, and the next run archives them
again: each session goes to a key of its own, so archiving twice writes the same object.
"""

import json
import os
import time
import urllib.request
from datetime import UTC, datetime

import boto3
from boto3.dynamodb.conditions import Attr

sessions = boto3.resource("dynamodb").Table(os.environ["SESSIONS_TABLE"])
s3 = boto3.client("s3")


def handler(event, context):
    now = int(time.time())
    expired = _expired(now)
    day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
    for item in expired:
        s3.put_object(
            Bucket=os.environ["ARCHIVE_BUCKET"],
            Key=f"archive/{item['sessionId']}.json",
            Body=json.dumps(item, sort_keys=True, default=int).encode(),
        )
    _audit({"day": day, "archived": len(expired)})
    with sessions.batch_writer() as batch:
        for item in expired:
            batch.delete_item(Key={"sessionId": item["sessionId"]})
    print(f"archived and deleted {len(expired)} expired sessions")
    return {"archived": len(expired)}


def _expired(now):
    items, kwargs = [], {"FilterExpression": Attr("expiresAt").lte(now)}
    while True:
        page = sessions.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _audit(entry):
    request = urllib.request.Request(
        os.environ["AUDIT_API_URL"].rstrip("/") + "/audit",
        data=json.dumps(entry).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # an HTTPError raises
        response.read()
