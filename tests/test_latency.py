"""The latency model: seeded draws with the profile's p50 and p99, profiles by name or
file, and one-line errors for files that are not profiles."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import BadInput
from harness.latency import Distribution, LatencyModel, load_latency


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


@pytest.mark.parametrize("seed", [1, 7, 2026])
@pytest.mark.parametrize(("p50", "p99"), [(6, 25), (120, 600), (80, 140), (15, 80)])
def test_ten_thousand_draws_have_the_profiles_p50_and_p99_within_five_percent(
    seed: int, p50: float, p99: float
) -> None:
    model = LatencyModel("test", seed=seed)
    distribution = Distribution(p50, p99)
    draws = [
        model.draw_ms(distribution, f"request-{i}", "aws:DynamoDB:PutItem") for i in range(10_000)
    ]

    assert _percentile(draws, 0.50) == pytest.approx(p50, rel=0.05)
    assert _percentile(draws, 0.99) == pytest.approx(p99, rel=0.05)


def test_one_seed_gives_the_same_draws_whatever_order_they_are_asked_in() -> None:
    distribution = Distribution(10, 50)
    asks = [(f"request-{i % 7}", f"kind-{i % 3}") for i in range(60)]

    def draws(order: list[tuple[str, str]], seed: int) -> dict[tuple[str, str, int], float]:
        model, seen, out = LatencyModel("test", seed=seed), dict[tuple[str, str], int](), {}
        for identity, kind in order:
            n = seen[(identity, kind)] = seen.get((identity, kind), -1) + 1
            out[(identity, kind, n)] = model.draw_ms(distribution, identity, kind)
        return out

    forwards = draws(asks, seed=3)
    assert draws(list(reversed(asks)), seed=3) == forwards
    assert draws(asks, seed=4) != forwards


def test_a_constant_and_a_free_distribution() -> None:
    model = LatencyModel("test")
    assert {model.draw_ms(Distribution(40, 40), f"r{i}", "x") for i in range(50)} == {40}
    assert model.draw_ms(Distribution(0, 0), "r", "x") == 0


def test_aws_calls_fall_back_from_the_operation_to_the_service_to_any_call() -> None:
    model = load_latency("default", seed=1)
    assert model.aws_call("DynamoDB", "BatchWriteItem") == Distribution(15, 70)
    assert model.aws_call("DynamoDB", "DescribeTable") == Distribution(6, 25)
    assert model.aws_call("Kinesis", "PutRecord") == Distribution(15, 80)
    assert model.aws_call("dynamodb", "batchwriteitem") == Distribution(15, 70)  # any case
    none = load_latency("none", seed=1)
    assert none.aws_call("DynamoDB", "PutItem") == none.http == none.init == Distribution(0, 0)


def test_no_draw_is_longer_than_lambdas_longest_timeout() -> None:
    model = LatencyModel("test")
    widest = Distribution(0.001, 900_000)
    assert max(model.draw_ms(widest, f"r{i}", "x") for i in range(20_000)) <= 900_000


def test_a_profile_file_extends_the_default_and_overrides_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: default\nhttp: {p50_ms: 900, p99_ms: 2000}\n"
        "aws:\n  'DynamoDB:PutItem': {p50_ms: 3, p99_ms: 9}\n"
    )
    model = load_latency(str(path), seed=5)

    assert model.name == "mine.yaml"
    assert model.http == Distribution(900, 2000)
    assert model.aws_call("DynamoDB", "PutItem") == Distribution(3, 9)
    assert model.aws_call("DynamoDB", "Query") == Distribution(12, 60)  # the default's
    assert model.init == Distribution(80, 140)
    assert LatencyModel.from_json(json.loads(json.dumps(model.to_json()))) == model


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("http: {p50_ms: 50, p99_ms: 10}\n", "p99_ms must be at least p50_ms"),
        ("http: {p50_ms: -1, p99_ms: 10}\n", "greater than or equal to 0"),
        ("http: {p50_ms: 1, p99_ms: 1e9}\n", "less than or equal to 900000"),
        ("aws: {'PutItem': {p50_ms: 1, p99_ms: 2}}\n", "is not 'Service:Operation'"),
        ("htp: {p50_ms: 1, p99_ms: 2}\n", "htp: Extra inputs are not permitted"),
        ("extends: fast\n", "extends"),
        ("http: {p50_ms: 1.0e-300, p99_ms: 900000}\n", "p50_ms must be at least 0.001"),
        (
            "http: {p50_ms: true, p99_ms: 2}\n",
            "http.p50_ms: Value error, Input should be a valid number, not a boolean",
        ),
        ("- 1\n", "expected a mapping"),
        ("http: [\n", "not valid YAML or JSON at line 2"),
    ],
)
def test_a_file_that_is_not_a_profile_is_one_line_saying_what_is_wrong(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(BadInput, match=r"^--latency") as caught:
        load_latency(str(path), seed=1)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_profile_and_an_oversized_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="neither a profile"):
        load_latency("fast", seed=1)
    with pytest.raises(BadInput, match=r"neither a profile") as caught:
        load_latency("x" * 5000 + ".yaml", seed=1)
    assert len(str(caught.value)) < 200
    big = tmp_path / "big.yaml"
    big.write_text("#" * 70_000)
    with pytest.raises(BadInput, match="over 64 KiB"):
        load_latency(str(big), seed=1)


_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.text(max_size=20)
)
_DOCUMENTS = st.recursive(
    _LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["init", "invoke", "http", "aws", "extends", "p50_ms", "p99_ms", "*"]),
            children,
            max_size=5,
        ),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(document=_DOCUMENTS)
def test_any_document_is_a_profile_or_a_one_line_error(document: Any) -> None:
    path = Path(tempfile.gettempdir()) / f"harness-latency-fuzz-{os.getpid()}.yaml"
    path.write_text(yaml.safe_dump(document))
    try:
        model = load_latency(str(path), seed=1)
    except BadInput as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(model, LatencyModel)
