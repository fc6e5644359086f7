"""A FastAPI stand-in for the external records API the scheduled function syncs from."""

from .app import create_app
from .clock import TimeSource, WallClock
from .dataset import Dataset
from .server import BackgroundServer

__all__ = ["BackgroundServer", "Dataset", "TimeSource", "WallClock", "create_app"]
