"""Fault rules as data: what validates, what is refused and how the refusal reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mock_api import PROFILES, FaultPlan, FaultRuleError, load_faults, parse_plan

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_rule_reads_as_written() -> None:
    plan = parse_plan(
        {
            "seed": 7,
            "rules": [
                {
                    "name": "429 on day 12",
                    "match": {
                        "method": "get",
                        "path": "/records*",
                        "first": 3,
                        "window": {"from": "11d 2h", "to": "2026-01-13T00:00:00Z"},
                    },
                    "fault": {"status": 429, "headers": {"Retry-After": "120"}},
                }
            ],
        }
    )

    rule = plan.rules[0]
    assert plan.seed == 7
    assert rule.match.first == 3
    assert rule.fault.headers == {"Retry-After": "120"}
    assert rule.match.window is not None
    assert rule.match.window.resolve(ORIGIN) == (
        ORIGIN + timedelta(days=11, hours=2),
        datetime(2026, 1, 13, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("12d", timedelta(days=12)),
        ("12d 2h", timedelta(days=12, hours=2)),
        ("+90m", timedelta(minutes=90)),
        ("P12DT2H", timedelta(days=12, hours=2)),
        ("PT36H", timedelta(hours=36)),
    ],
)
def test_window_bounds_may_be_offsets_from_the_run_start(text: str, offset: timedelta) -> None:
    plan = parse_plan({"rules": [{"match": {"window": {"from": text}}, "fault": {"status": 503}}]})

    window = plan.rules[0].match.window
    assert window is not None
    assert window.resolve(ORIGIN)[0] == ORIGIN + offset


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"match": {"probability": 1.5}, "fault": {"status": 503}}, "rules[0].match.probability"),
        ({"match": {"probability": -0.1}, "fault": {"status": 503}}, "rules[0].match.probability"),
        ({"fault": {"kind": "explode"}}, "rules[0].fault.kind"),
        ({"fault": {"status": 503, "colour": "red"}}, "rules[0].fault.colour"),
        ({"match": {"probabilty": 0.5}, "fault": {"status": 503}}, "rules[0].match.probabilty"),
        ({"match": {"first": 0}, "fault": {"status": 503}}, "rules[0].match.first"),
        ({"match": {"nth": []}, "fault": {"status": 503}}, "rules[0].match.nth"),
        ({"match": {"window": {"from": "someday"}}, "fault": {"status": 503}}, "window.from"),
        ({"fault": {}}, "rules[0].fault"),
        ({"fault": {"kind": "hang", "status": 503}}, "rules[0].fault"),
        ({"fault": {"kind": "invalid_records", "status": 500}}, "rules[0].fault"),
        ({"fault": {"status": 999}}, "rules[0].fault.status"),
        ({"match": {"every": 2}}, "rules[0].fault"),
        ({"fault": {"status": 100}}, "rules[0].fault.status"),
        ({"fault": {"status": 204, "body": "x"}}, "no body"),
        ({"fault": {"status": 503, "headers": {"Retry-After": "€"}}}, "ASCII"),
        ({"fault": {"status": 503, "headers": {"X-A": "1\r\nX-B: 2"}}}, "one line"),
        ({"fault": {"status": 503, "headers": {"Bad Name": "1"}}}, "HTTP token"),
        ({"fault": {"status": 503, "body": {"x": float("nan")}}}, "body cannot be sent"),
        ({"match": {"window": {"from": "3d", "to": "2d"}}, "fault": {"status": 503}}, "before"),
    ],
)
def test_a_bad_rule_is_one_line_naming_the_field(rule: dict[str, object], named: str) -> None:
    with pytest.raises(FaultRuleError) as raised:
        parse_plan({"rules": [rule]})

    message = str(raised.value)
    assert named in message
    assert "\n" not in message


def test_unquoted_yaml_dates_are_midnight_utc(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - match: {window: {from: 2026-01-12}}\n    fault: {status: 503}\n")

    window = load_faults(str(path)).rules[0].match.window

    assert window is not None
    assert window.resolve(ORIGIN)[0] == datetime(2026, 1, 12, tzinfo=UTC)


def test_a_bare_list_of_rules_is_accepted() -> None:
    assert parse_plan([{"fault": {"status": 500}}]).rules[0].fault.status == 500


@pytest.mark.parametrize("name", PROFILES)
def test_every_shipped_profile_validates(name: str) -> None:
    plan = load_faults(name)

    assert isinstance(plan, FaultPlan)
    assert (name == "none") == (not plan.rules)


def test_rule_files_may_be_yaml_or_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "rules.yaml"
    yaml_file.write_text("rules:\n  - match: {nth: [2]}\n    fault: {status: 500}\n")
    json_file = tmp_path / "rules.json"
    json_file.write_text('{"rules": [{"match": {"nth": [2]}, "fault": {"status": 500}}]}')

    assert load_faults(str(yaml_file)) == load_faults(str(json_file))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rules: [\n", "line"),
        ("", "empty"),
        ("rules:\n  - fault: {kind: nope}\n", "rules[0].fault.kind"),
        ("just text", "document"),
    ],
)
def test_a_broken_rule_file_names_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(content)

    with pytest.raises(FaultRuleError) as raised:
        load_faults(str(path))

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(FaultRuleError, match=r"unknown fault profile 'flakey'.*rate-limited"):
        load_faults("flakey")


def test_a_missing_rule_file_says_so() -> None:
    with pytest.raises(FaultRuleError, match="does not exist"):
        load_faults("faults/missing.yaml")
