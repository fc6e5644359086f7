"""Yesterday's orders, totalled in euros, written to S3 and announced on SNS.

The report's key is yesterday's date, so a retry or a duplicate delivery rewrites the
same report rather than adding one.
"""

import json
import os
import urllib.request
from datetime import datetime, timedelta
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Key

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
s3 = boto3.client("s3")
sns = boto3.client("sns")


def handler(event, context):
    day = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) - timedelta(days=1)
    day = day.date().isoformat()
    placed = _orders_on(day)
    rates = _rates()
    total = sum(Decimal(str(o["amount"])) / Decimal(str(rates[o["currency"]])) for o in placed)
    report = {"day": day, "orders": len(placed), "totalEur": str(round(total, 2))}
    key = f"reports/{day}.json"
    s3.put_object(Bucket=os.environ["REPORTS_BUCKET"], Key=key, Body=json.dumps(report))
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps({"report": key, **report}))
    print(f"report {key}: {len(placed)} orders, {report['totalEur']} EUR")
    return report


def _orders_on(day):
    items, kwargs = [], {"IndexName": "by-day", "KeyConditionExpression": Key("placedOn").eq(day)}
    while True:
        page = orders.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _rates():
    """Units of each currency to one euro: {"EUR": 1, "USD": 1.08, ...}."""
    url = os.environ["RATES_API_URL"].rstrip("/") + "/v1/latest?base=EUR"
    with urllib.request.urlopen(url, timeout=10) as response:  # an HTTPError raises
        return {"EUR": 1, **json.load(response)["rates"]}
