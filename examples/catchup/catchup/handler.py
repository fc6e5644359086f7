"""A nightly sync as it is often first written: fetch every record changed since the
last run, page by page, then write them all, then move the cursor. Nothing in it keeps
an eye on the time left, and nothing is saved until the end."""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import boto3

dynamodb = boto3.resource("dynamodb")
records_table = dynamodb.Table(os.environ["RECORDS_TABLE"])
state_table = dynamodb.Table(os.environ["SYNC_TABLE"])
secret = boto3.client("secretsmanager").get_secret_value(
    SecretId=os.environ["API_TOKEN_SECRET_ID"]
)["SecretString"]
token = json.loads(secret)["token"] if secret.startswith("{") else secret
CURSOR_KEY = {"syncId": "catchup#cursor"}


def fetch(params):
    url = os.environ["EXTERNAL_API_URL"] + "/records?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == 4:
                raise
            time.sleep(10)  # the API is having a moment


def handler(event, context):
    until = event["time"]
    since = state_table.get_item(Key=CURSOR_KEY).get("Item", {}).get("until")
    params = {"updated_until": until, "page_size": 100}
    if since:
        params["updated_since"] = since
    records, cursor = [], None
    while True:
        page = fetch({**params, "cursor": cursor} if cursor else params)
        records += page["records"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    with records_table.batch_writer() as batch:
        for record in records:
            batch.put_item(Item={**record, "syncedAt": datetime.now(UTC).isoformat()})
    state_table.put_item(Item={**CURSOR_KEY, "until": until})
    print(f"synced {len(records)} records changed up to {until}")
    return {"records": len(records)}
