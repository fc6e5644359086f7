"""A latency model: what each piece of work costs in virtual time, drawn per seed.

Each kind of work (an AWS call by `Service:Operation`, an external HTTP request, a cold
start's init, the runtime and handler's own work per invocation) has a log-normal
distribution fixed by its median and 99th percentile. A draw is not taken from a shared
random stream: it hashes the seed, the invocation's request id, the kind of work and how
many of that kind the invocation drew before. So the draws do not depend on which
executor runs the handler or on what other invocations drew, and one seed gives one
timeline. (A handler's parallel threads may take an invocation's draws in another
order from run to run; their sum, and so the invocation's Duration, stays the same.)

This module imports nothing but the standard library: the subprocess executor's worker
loads it by its path, as it loads `runtime/virtual_time.py`.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

Z99 = NormalDist().inv_cdf(0.99)  # the standard normal's 99th percentile, 2.326
MAX_DRAW_MS = 900_000.0  # Lambda's longest timeout: no one piece of work takes longer
_UNIT = NormalDist()
_EDGE = 1e-6  # draws stay within the 0.0001th and 99.9999th percentiles


@dataclass(frozen=True)
class Distribution:
    """Log-normal with median `p50_ms` and 99th percentile `p99_ms` (equal: a constant)."""

    p50_ms: float
    p99_ms: float

    def at(self, u: float) -> float:
        """The duration at quantile `u` (0 < u < 1), in milliseconds."""
        if self.p50_ms <= 0:
            return 0.0
        sigma = math.log(self.p99_ms / self.p50_ms) / Z99
        z = _UNIT.inv_cdf(min(max(u, _EDGE), 1 - _EDGE))
        return min(MAX_DRAW_MS, math.exp(math.log(self.p50_ms) + sigma * z))

    def to_json(self) -> dict[str, float]:
        return {"p50_ms": self.p50_ms, "p99_ms": self.p99_ms}


ZERO = Distribution(0.0, 0.0)


def quantile(seed: int, *parts: str) -> float:
    """A uniform number in (0, 1), a pure function of the seed and `parts`."""
    digest = hashlib.blake2b("\x1f".join((str(seed), *parts)).encode(), digest_size=8)
    return (int.from_bytes(digest.digest(), "big") + 0.5) / 2**64


@dataclass
class LatencyModel:
    """A named profile's distributions and the seed that draws from them."""

    name: str
    seed: int = 1
    init: Distribution = ZERO  # a cold start's init, before the handler's imports' own time
    invoke: Distribution = ZERO  # the runtime and handler's own work, per invocation
    http: Distribution = ZERO  # a request to an external API (not AWS)
    aws: dict[str, Distribution] = field(
        default_factory=dict
    )  # "service:operation" (lower), "s:*", "*"
    # identity -> kind -> draws so far; an invocation's entry goes when it ends (`forget`)
    _counts: dict[str, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def aws_call(self, service: str, operation: str) -> Distribution:
        """`Service:Operation`, else `Service:*`, else `*` (keys are kept in lower case:
        `dynamodb:PutItem` and `DynamoDB:PutItem` are one key)."""
        aws, service, operation = self.aws, service.lower(), operation.lower()
        found = aws.get(f"{service}:{operation}") or aws.get(f"{service}:*") or aws.get("*")
        return found or ZERO

    def draw_ms(self, distribution: Distribution, identity: str, kind: str) -> float:
        """The next draw of `kind` for `identity` (a request id, or a cold start's)."""
        if distribution.p50_ms <= 0:
            return 0.0
        with self._lock:
            counts = self._counts.setdefault(identity, {})
            n = counts[kind] = counts.get(kind, -1) + 1
        return distribution.at(quantile(self.seed, identity, kind, str(n)))

    def forget(self, identity: str) -> None:
        """An invocation ended: its counts go (a year of request ids would pile up)."""
        with self._lock:
            self._counts.pop(identity, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "init": self.init.to_json(),
            "invoke": self.invoke.to_json(),
            "http": self.http.to_json(),
            "aws": {key: d.to_json() for key, d in self.aws.items()},
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> LatencyModel:
        def dist(d: dict[str, float]) -> Distribution:
            return Distribution(float(d["p50_ms"]), float(d["p99_ms"]))

        return cls(
            name=str(document["name"]),
            seed=int(document["seed"]),
            init=dist(document["init"]),
            invoke=dist(document["invoke"]),
            http=dist(document["http"]),
            aws={key: dist(d) for key, d in document["aws"].items()},
        )


NONE = LatencyModel("none")
