"""A FastAPI stand-in for the external records API the scheduled function syncs from,
with fault injection and a request journal."""

from .app import create_app
from .clock import SettableClock, TimeSource, WallClock
from .dataset import Dataset
from .journal import Entry, Journal, same_requests
from .profiles import PROFILES, load_faults
from .rules import Fault, FaultPlan, FaultRuleError, Match, Rule, parse_plan
from .server import BackgroundServer
from .state import MockApi

__all__ = [
    "PROFILES",
    "BackgroundServer",
    "Dataset",
    "Entry",
    "Fault",
    "FaultPlan",
    "FaultRuleError",
    "Journal",
    "Match",
    "MockApi",
    "Rule",
    "SettableClock",
    "TimeSource",
    "WallClock",
    "create_app",
    "load_faults",
    "parse_plan",
    "same_requests",
]
