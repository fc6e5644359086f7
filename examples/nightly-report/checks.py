"""The run's verdict for `harness run --check checks:one_right_report_a_day`."""

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import yaml

PROJECT = Path(__file__).parent


def one_right_report_a_day(report_dir: Path) -> None:
    """Every day with orders has one report, with the right count and euro total."""
    rates = _recorded_rates()
    expected = defaultdict(lambda: [0, Decimal(0)])
    for line in (PROJECT / "data" / "dynamodb" / "Orders.jsonl").read_text().splitlines():
        order = json.loads(line)
        day = expected[order["placedOn"]]
        day[0] += 1
        day[1] += Decimal(str(order["amount"])) / Decimal(str(rates[order["currency"]]))
    run = json.loads((report_dir / "report.json").read_text())
    reported = {
        path.stem: json.loads(path.read_text())
        for path in (report_dir / "buckets").glob("*/reports/*.json")
    }
    last_day = run["end"][:10]
    for day, (count, total) in sorted(expected.items()):
        if day >= last_day:  # reported the morning after: not within this run
            continue
        assert day in reported, f"no report for {day}"
        assert reported[day]["orders"] == count, (
            f"{day}: {reported[day]['orders']} orders, not {count}"
        )
        assert reported[day]["totalEur"] == str(round(total, 2)), f"{day}: wrong total"


def _recorded_rates():
    cassette = yaml.safe_load((PROJECT / "cassettes" / "rates.yaml").read_text())
    body = cassette["interactions"][0]["response"]["body"]["string"]
    return {"EUR": 1, **json.loads(body)["rates"]}
