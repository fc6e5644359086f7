"""Random fault plans: a seeded mix of the external API's faults and AWS's.

`harness run --faults random --seed N` runs the plan `random_plan(N)`; the chaos test
runs many seeds and prints the command that replays a failing one.
"""

from __future__ import annotations

import random
from typing import Any

from ..rules import FaultPlan, parse_plan

RANDOM = "random"


def _api_palette(rng: random.Random) -> list[dict[str, Any]]:
    p = round(rng.uniform(0.05, 0.25), 3)
    start = rng.randrange(1, 25)
    return [
        {"fault": {"status": rng.choice([500, 502, 503, 504])}, "match": {"probability": p}},
        {
            "fault": {"status": 429, "headers": {"Retry-After": str(rng.choice([1, 5, 30, 120]))}},
            "match": {"probability": p},
        },
        {"fault": {"kind": "hang"}, "match": {"probability": min(p, 0.02)}},  # 1 wall s each
        {"fault": {"kind": rng.choice(["reset", "empty"])}, "match": {"probability": p}},
        {
            "fault": {"kind": rng.choice(["malformed_json", "truncated"])},
            "match": {"probability": p},
        },
        {
            "fault": {"kind": "invalid_records", "records": rng.randint(1, 5)},
            "match": {"probability": p},
        },
        {
            "fault": {"kind": "duplicate_records", "records": rng.randint(1, 10)},
            "match": {"probability": p},
        },
        {
            "fault": {"kind": "page_drift", "records": rng.randint(1, 10)},
            "match": {"probability": p},
        },
        {"fault": {"delay_ms": rng.choice([500, 3000, 9000])}, "match": {"probability": p}},
        {
            "name": "outage",
            "fault": {"status": 503},
            "match": {"window": {"from": f"{start}d", "to": f"{start + rng.randint(1, 3)}d"}},
        },
    ]


def _aws_palette(rng: random.Random) -> list[dict[str, Any]]:
    """The first three target calls every run makes several of; the rest, rarer ones."""
    p = round(rng.uniform(0.1, 0.4), 3)
    return [
        {
            "fault": {
                "error": rng.choice(
                    [
                        "ProvisionedThroughputExceededException",
                        "ThrottlingException",
                        "InternalServerError",
                    ]
                )
            },
            "match": {"operation": "dynamodb:BatchWriteItem", "probability": p},
        },
        {
            "fault": {"unprocessed": rng.randint(1, 25)},
            "match": {"operation": "dynamodb:BatchWriteItem", "probability": p},
        },
        {
            "fault": {"delay_ms": rng.choice([200, 2000, 20_000])},
            "match": {"operation": "dynamodb:*", "probability": p},
        },
        {
            "fault": {"error": rng.choice(["ThrottlingException", "InternalServerError"])},
            "match": {
                "operation": rng.choice(["dynamodb:Query", "dynamodb:GetItem"]),
                "probability": p / 2,
            },
        },
        {
            "fault": {"error": "ConditionalCheckFailedException"},
            "match": {"operation": "dynamodb:PutItem", "probability": p / 4},
        },
    ]


def random_plan(seed: int) -> FaultPlan:
    """2 to 5 of the API's faults and 1 to 3 of AWS's (one on calls every run makes),
    each with its own odds, sometimes duplicate deliveries and sometimes a reserved
    concurrency of 1: all drawn from `seed`."""
    rng = random.Random(f"chaos:{seed}")
    api = rng.sample(_api_palette(rng), rng.randint(2, 5))
    palette = _aws_palette(rng)
    # one rule on calls every run makes, so the AWS side is always exercised
    aws = [rng.choice(palette[:3]), *rng.sample(palette[3:], rng.randint(0, 2))]
    delivery: dict[str, Any] = {"duplicate_rate": rng.choice([0.0, 0.0, 0.1, 0.5])}
    # Drawn apart, so that the plans of seeds drawn before it was added stay as they were.
    reserved = random.Random(f"chaos:{seed}:concurrency").choice([None, None, None, 1])
    if reserved is not None:  # one at a time: a duplicate or a late retry is throttled
        delivery["reserved_concurrency"] = reserved
    plan = {
        "rules": [{**rule, "match": {"path": "/records", **rule["match"]}} for rule in api],
        "aws": aws,
        "delivery": delivery,
        "seed": seed,
    }
    return parse_plan(plan, f"random plan {seed}")
