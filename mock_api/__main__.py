"""`python -m mock_api --port P --seed S [--faults PROFILE|FILE]`: serve the dataset on
loopback, with fault rules if given."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

import uvicorn

from .app import DEFAULT_TOKEN, create_app
from .dataset import Dataset
from .profiles import PROFILES, load_faults
from .rules import FaultRuleError, windows_over
from .server import server_options


def _instant(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"mock_api: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m mock_api", description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--origin",
        type=_instant,
        default=Dataset().origin,
        help="first instant of the dataset (ISO 8601)",
    )
    parser.add_argument("--changes-per-day", type=int, default=100)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="bearer token clients must send")
    parser.add_argument(
        "--faults",
        default="none",
        help=f"fault profile ({', '.join(PROFILES)}) or YAML/JSON rule file",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port")
    if args.changes_per_day < 1:
        parser.error("--changes-per-day must be at least 1")
    try:
        faults = load_faults(args.faults)
    except FaultRuleError as exc:
        parser.error(str(exc))
    over = windows_over(faults, args.origin, datetime.now(UTC))
    if over:
        # Offsets like `10d` count from --origin, and logical time follows the wall
        # clock until someone sets it.
        print(
            f"mock_api: warning: the window of {', '.join(over)} closed before now;"
            " pass --origin (offsets count from it) or set logical time with POST /_clock",
            file=sys.stderr,
        )
    app = create_app(
        Dataset(seed=args.seed, origin=args.origin, changes_per_day=args.changes_per_day),
        token=args.token,
        faults=faults,
    )
    uvicorn.run(app, host=args.host, port=args.port, **server_options(log_level="info"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
