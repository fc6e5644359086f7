"""`python -m mock_api --port P --seed S [--faults PROFILE|FILE]`: serve the dataset on
loopback, with fault rules if given."""

from __future__ import annotations

import argparse
import socket
import sys
from datetime import UTC, datetime

import uvicorn

from .app import DEFAULT_TOKEN, create_app
from .control import EARLIEST, LATEST
from .dataset import Dataset
from .profiles import PROFILES, load_faults
from .rules import FaultRuleError, windows_over
from .server import server_options

MAX_CHANGES_PER_DAY = 100_000


def _instant(text: str) -> datetime:
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {shown!r}") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not EARLIEST <= parsed < LATEST:
        raise argparse.ArgumentTypeError(f"must be from 1970-01-01 to before 9000-01-01: {shown!r}")
    return parsed


def _bindable(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, or None when it can: checked
    first, so a port in use is one line and exit 2, not uvicorn's startup failure."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        return f"--host {host[:60]!r} is not an address this machine has ({exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


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
    if not 1 <= args.changes_per_day <= MAX_CHANGES_PER_DAY:
        parser.error(f"--changes-per-day must be 1 to {MAX_CHANGES_PER_DAY:,}")
    if not 0 <= args.seed <= 2**63 - 1:
        parser.error("--seed must be 0 to 2**63 - 1")
    problem = _bindable(args.host, args.port)
    if problem:
        parser.error(problem)
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
