"""Benchmark for the mock API (issue: fault injection).

Starts `python -m mock_api` on loopback as users do, sets its logical time to day 30,
and pages through a 20-day window (~2,000 records) in pages of 100 records over one
keep-alive connection, in short alternating rounds: with no rules, and with 20 rules
that every request is checked against and none applies (which goes first alternates,
so both see the same machine). It prints the median pages a second of each and the
median per-round cost of the rules (targets: at least 1,000 pages a second in both,
rule matching under 10 %). Round to round the machine's noise is larger than the
effect, so it also times the rule matching alone, in process, against a page's time.

Usage: .venv/bin/python bench/bench_mock_api.py [--seconds 0.5] [--rounds 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any
from urllib.parse import urlencode

from mock_api import parse_plan
from mock_api.faults import FaultEngine

TOKEN = "bench-token"
ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)  # the dataset's default origin
WINDOW = {"updated_since": "2026-01-10T00:00:00Z", "updated_until": "2026-01-30T00:00:00Z"}

# Twenty rules that every request is checked against and none applies: other paths and
# methods, windows in the past or future, and dice that never come up (the dearest:
# they count the request and throw the rule's dice every time).
NON_MATCHING: list[dict[str, Any]] = (
    [{"match": {"path": f"/admin/{i}*"}, "fault": {"status": 500}} for i in range(5)]
    + [{"match": {"method": "POST", "path": "/records"}, "fault": {"status": 503}}] * 5
    + [
        {
            "match": {"window": {"from": f"{400 + i}d", "to": f"{401 + i}d"}},
            "fault": {"kind": "hang"},
        }
        for i in range(5)
    ]
    + [{"match": {"path": "/records", "probability": 0.0}, "fault": {"kind": "reset"}}] * 5
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    answer = conn.getresponse()
    payload = answer.read()
    if answer.status != 200:
        raise SystemExit(f"{method} {path}: HTTP {answer.status} {payload[:200]!r}")
    return json.loads(payload)


def pages_per_second(conn: http.client.HTTPConnection, seconds: float) -> tuple[float, float]:
    """Follow the window's pages round and round for `seconds`. The client stays light
    (it reads the cursor off the end of the body and parses every 100th page in full)
    so that what is measured is the server."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = "/records?" + urlencode(WINDOW | {"page_size": "100"})
    pages, records, cursor = 0, 0, None
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        conn.request("GET", f"{base}&cursor={cursor}" if cursor else base, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise SystemExit(f"GET /records: HTTP {answer.status} {body[:200]!r}")
        tail = body[body.rindex(b'"next_cursor":') + 14 : -1]
        cursor = None if tail == b"null" else tail.strip(b'"').decode()
        if pages % 100 == 0:
            page = json.loads(body)
            assert page["next_cursor"] == cursor
            records += len(page["records"])
        pages += 1
    return pages / elapsed, records / -(-pages // 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mock_api", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        deadline = time.monotonic() + 30
        while True:
            try:
                call(conn, "GET", "/_health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the mock API did not start") from None
                conn.close()
                time.sleep(0.1)
        call(conn, "POST", "/_clock", {"now": "2026-01-31T00:00:00Z"})
        pages_per_second(conn, 0.5)  # warm the window and record caches

        rates: dict[str, list[float]] = {"no rules": [], "20 non-matching rules": []}
        modes: list[tuple[str, list[dict[str, Any]]]] = [
            ("no rules", []),
            ("20 non-matching rules", NON_MATCHING),
        ]
        per_page = 0.0
        for round_number in range(args.rounds):
            # Alternate which goes first, so neither always follows the other.
            for label, rules in modes if round_number % 2 == 0 else modes[::-1]:
                call(conn, "POST", "/_reset")  # each round starts with an empty journal
                call(conn, "POST", "/_faults", {"rules": rules})
                rate, per_page = pages_per_second(conn, args.seconds)
                rates[label].append(rate)
        stats = call(conn, "GET", "/_faults")["stats"]
        assert all(rule["applied"] == 0 for rule in stats), "a benchmark rule applied"
    finally:
        server.terminate()
        server.wait(timeout=30)

    engine = FaultEngine.api(parse_plan({"rules": NON_MATCHING}), seed=1, origin=ORIGIN)
    now = ORIGIN + timedelta(days=30)
    calls = 100_000
    started = time.perf_counter()
    for _ in range(calls):
        engine.decide("GET", "/records", now)
    decide_us = (time.perf_counter() - started) / calls * 1e6

    plain, ruled = rates["no rules"], rates["20 non-matching rules"]
    # The cost is the median of the per-round ratios: the two halves of a round ran
    # back to back, so the machine's drift between rounds cancels out.
    costs = sorted(1 - r / p for p, r in zip(plain, ruled, strict=True))
    spread = f"{costs[0]:.1%} to {costs[-1]:.1%}"
    print(
        f"mock API on loopback, pages of ~{per_page:.0f} records, one connection,"
        f" {args.rounds} alternating rounds of {args.seconds:g} s (medians)"
    )
    print(f"  no rules               {median(plain):8,.0f} pages/s   (target >= 1,000)")
    print(f"  20 non-matching rules  {median(ruled):8,.0f} pages/s   (target >= 1,000)")
    print(f"  cost of rule matching  {median(costs):8.1%}         (target < 10 %; rounds {spread})")
    page_us = 1e6 / median(plain)
    print(
        f"  matching alone         {decide_us:8.1f} us a request for 20 rules,"
        f" {decide_us / page_us:.1%} of a page's {page_us:.0f} us"
    )


if __name__ == "__main__":
    main()
