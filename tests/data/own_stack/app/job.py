import os
import time
from datetime import UTC, datetime

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    time.sleep(30)  # pretend to work
    table.put_item(Item={"pk": event["time"], "finished": datetime.now(UTC).isoformat()})
    return {"ok": True}
