"""Planted bug: reads the API's Retry-After as minutes (it is seconds), so a 429 with
Retry-After: 5 puts the run to sleep past its timeout."""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3

secret = boto3.client("secretsmanager").get_secret_value(
    SecretId=os.environ["API_TOKEN_SECRET_ID"]
)["SecretString"]
token = json.loads(secret)["token"] if secret.startswith("{") else secret


def fetch(params):
    url = os.environ["EXTERNAL_API_URL"] + "/records?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 429:
                time.sleep(int(error.headers.get("Retry-After", "1")) * 60)  # the bug
            elif error.code < 500 or attempt == 4:
                raise
            else:
                time.sleep(5)
        except OSError:
            if attempt == 4:
                raise
            time.sleep(5)
    raise RuntimeError("the API kept refusing")


def handler(event, context):
    params, seen = {"updated_until": event["time"], "page_size": 100}, 0
    while True:
        page = fetch(params)
        seen += len(page["records"])
        if not page["next_cursor"]:
            return {"records": seen}
        params["cursor"] = page["next_cursor"]
