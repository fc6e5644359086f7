"""Configuration comes from the environment; a bad value names its variable."""

from __future__ import annotations

import pytest

from function.config import ConfigError, load_config

VALID = {
    "ENV": "dev",
    "AWS_REGION": "eu-west-1",
    "EXTERNAL_API_URL": "https://api.example.com/v1/",
    "RECORDS_TABLE": "Records",
    "SYNC_TABLE": "Syncs",
    "API_TOKEN_SECRET_ID": "api-token",
}


def test_defaults_follow_the_seed() -> None:
    config = load_config(VALID)

    assert config.api_url == "https://api.example.com/v1"
    assert config.region == "eu-west-1"
    assert (config.batch_enabled, config.batch_size, config.keep_records_days) == (False, 10, 30)
    assert config.log_level == "INFO"


def test_region_falls_back_to_REGION() -> None:
    env = {k: v for k, v in VALID.items() if k != "AWS_REGION"} | {"REGION": "us-west-2"}
    assert load_config(env).region == "us-west-2"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENV", ""),
        ("EXTERNAL_API_URL", "ftp://example.com"),
        ("EXTERNAL_API_URL", "not a url"),
        ("ENABLE_BATCH_PROCESSING", "maybe"),
        ("BATCH_SIZE", "ten"),
        ("BATCH_SIZE", "0"),
        ("KEEP_RECORDS_DAYS", "-1"),
        ("LOG_LEVEL", "LOUD"),
        ("RECORDS_TABLE", ""),
        ("SYNC_TABLE", " "),
        ("API_TOKEN_SECRET_ID", ""),
        ("HTTP_TIMEOUT_SECONDS", "soon"),
    ],
)
def test_a_missing_or_malformed_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_config(VALID | {name: value})


def test_a_missing_region_is_named() -> None:
    with pytest.raises(ConfigError, match="AWS_REGION"):
        load_config({k: v for k, v in VALID.items() if k != "AWS_REGION"})


def test_batch_processing_flag_and_size() -> None:
    config = load_config(VALID | {"ENABLE_BATCH_PROCESSING": "TRUE", "BATCH_SIZE": "25"})
    assert (config.batch_enabled, config.batch_size) == (True, 25)
