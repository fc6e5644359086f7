"""Configuration from the Lambda environment, validated once per invocation.

A missing or malformed variable raises `ConfigError` naming the variable, so a broken
deployment fails loudly on its first run instead of syncing with surprising defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A configuration variable is missing or malformed."""


@dataclass(frozen=True)
class Config:
    env: str
    region: str
    api_url: str
    batch_enabled: bool
    batch_size: int
    keep_records_days: int
    log_level: str
    records_table: str
    sync_table: str
    api_token_secret: str
    source: str
    page_size: int
    http_timeout_seconds: float
    api_max_attempts: int


LOG_LEVELS = ("DEBUG", "PERFORMANCE", "INFO", "SUCCESS", "WARN", "ERROR")


def load_config(environ: Mapping[str, str]) -> Config:
    reader = _Reader(environ)
    region = environ.get("AWS_REGION") or environ.get("REGION")
    if not region:
        raise ConfigError("AWS_REGION (or REGION) is not set")
    api_url = reader.required("EXTERNAL_API_URL")
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"EXTERNAL_API_URL must be an http(s) URL, got {api_url!r}")
    log_level = reader.text("LOG_LEVEL", "INFO").upper()
    if log_level == "WARNING":
        log_level = "WARN"
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    return Config(
        env=reader.required("ENV"),
        region=region,
        api_url=api_url.rstrip("/"),
        batch_enabled=reader.boolean("ENABLE_BATCH_PROCESSING", False),
        batch_size=reader.integer("BATCH_SIZE", 10, low=1, high=100),
        keep_records_days=reader.integer("KEEP_RECORDS_DAYS", 30, low=1, high=36500),
        log_level=log_level,
        records_table=reader.required("RECORDS_TABLE"),
        sync_table=reader.required("SYNC_TABLE"),
        api_token_secret=reader.required("API_TOKEN_SECRET_ID"),
        source=reader.text("SYNC_SOURCE", "external-api"),
        page_size=reader.integer("API_PAGE_SIZE", 100, low=1, high=1000),
        http_timeout_seconds=reader.number("HTTP_TIMEOUT_SECONDS", 10.0, low=0.1, high=900),
        api_max_attempts=reader.integer("API_MAX_ATTEMPTS", 6, low=1, high=50),
    )


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def required(self, name: str) -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            raise ConfigError(f"{name} is not set")
        return value

    def text(self, name: str, default: str) -> str:
        return self._environ.get(name, "").strip() or default

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
        return value

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
        return value
