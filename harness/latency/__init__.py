"""The latency model: what an AWS call, an HTTP request, a cold start and the handler's
own work cost in virtual time (`--latency`)."""

from .base import NONE, Distribution, LatencyModel, quantile
from .profiles import PROFILES, load_latency

__all__ = ["NONE", "PROFILES", "Distribution", "LatencyModel", "load_latency", "quantile"]
