"""Record the rates API once, so runs replay it offline with --api-cassette:

    python examples/nightly-report/record_rates.py https://rates.example.com

vcrpy writes what the API answered to cassettes/rates.yaml; `harness run --api-cassette`
plays it back (matched on method, path and query) behind the same fault rules.
"""

import sys
import urllib.request
from pathlib import Path

import vcr

CASSETTE = Path(__file__).parent / "cassettes" / "rates.yaml"

if __name__ == "__main__":
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "https://rates.example.com"
    with (
        vcr.use_cassette(str(CASSETTE), record_mode="all"),
        urllib.request.urlopen(f"{base}/v1/latest?base=EUR", timeout=10) as response,
    ):
        print(response.status, response.read().decode())
