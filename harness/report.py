"""The run report: `report.json`, `tables/<table>.jsonl`, `logs.jsonl`, and the summary.

`report.json` follows the contract in ARCHITECTURE.md: schedule, start, end, seed,
wall_seconds, virtual_seconds, fires (scheduled_time, outcome, attempts, sync_id,
records_processed) and totals; everything else is extra.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer
from rich.table import Table

from mock_api import Entry

Outcome = Literal["succeeded", "failed", "dlq"]
_deserializer = TypeDeserializer()


@dataclass
class Attempt:
    at: str
    status: str
    duration_ms: int
    error: str | None
    request_id: str
    wall_ms: float
    layer: str = "lambda"  # trigger (hand-off to Lambda), lambda, or duplicate
    reason: str = "first delivery"  # why this attempt happened
    cold: bool = False  # ran in a fresh execution environment (a cold start)


@dataclass
class Fire:
    scheduled_time: str
    event_id: str
    outcome: Outcome
    attempts: list[Attempt] = field(default_factory=list)
    sync_id: str | None = None
    records_processed: int = 0
    # What the function reported: success, partial (some records invalid, cursor
    # kept), skipped (the occurrence was already synced) or failed.
    sync_status: str = "failed"
    dead_letter: dict[str, str] | None = None  # queue, layer, condition
    duplicates: int = 0
    throttles: int = 0
    table_items: int | None = None  # the records table's size when the occurrence ended
    table_active: int | None = None  # of those, active (sampled: about 100 in a run)


def plain(value: Any) -> Any:
    """DynamoDB's Python values as plain JSON ones."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set) else items
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return value


def dump_table(raw_items: list[dict[str, Any]], key: str, path: Path) -> list[dict[str, Any]]:
    """Write a table's final contents (DynamoDB JSON in), one plain JSON item a line,
    sorted by key; returns them."""
    items = [plain({k: _deserializer.deserialize(v) for k, v in raw.items()}) for raw in raw_items]
    items.sort(key=lambda item: str(item.get(key, "")))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, sort_keys=True) + "\n")
    return items


def totals(fires: list[Fire]) -> dict[str, int]:
    attempts = [a for f in fires for a in f.attempts]
    return {
        "fires": len(fires),
        "succeeded": sum(f.outcome == "succeeded" for f in fires),
        "failed": sum(f.outcome == "failed" for f in fires),
        "dlq": sum(f.outcome == "dlq" for f in fires),
        "partial": sum(f.sync_status == "partial" for f in fires),
        "attempts": len(attempts),
        "trigger_errors": sum(a.layer == "trigger" for a in attempts),
        "throttles": sum(a.status == "throttled" for a in attempts),
        "duplicates": sum(a.layer == "duplicate" for a in attempts),
        "cold_starts": sum(a.cold for a in attempts),
        "function_errors": sum(a.status == "function_error" for a in attempts),
        "timeouts": sum(a.status == "timeout" for a in attempts),
        "records_processed": sum(f.records_processed for f in fires),
    }


def fault_summary(source: str, rules: list[dict[str, Any]], journal: list[Entry]) -> dict[str, Any]:
    """The fault rules in force, how often each applied, and the API's answers."""
    by_status: Counter[str] = Counter(
        "no response" if e.status is None else str(e.status) for e in journal
    )
    by_fault: Counter[str] = Counter(e.fault for e in journal if e.fault)
    return {
        "source": source,
        "requests": len(journal),
        "faulted": sum(by_fault.values()),
        "by_status": dict(sorted(by_status.items())),
        "by_fault": dict(by_fault.most_common()),
        "rules": rules,
        "never_applied": [r["name"] or f"rule {r['rule']}" for r in rules if not r["applied"]],
    }


def unapplied_rule_warnings(
    api_rules: list[dict[str, Any]], aws_rules: list[dict[str, Any]]
) -> list[str]:
    """A rule that never applied injected nothing: a test that passes with it proves
    nothing about the fault, so the report says so."""
    warnings = []
    for layer, rules in (("API", api_rules), ("AWS", aws_rules)):
        for rule in rules:
            if not rule["applied"]:
                label = rule["name"] or f"rule {rule['rule']}"
                seen = (
                    f"{rule['qualified']} requests qualified"
                    if rule["qualified"]
                    else ("no request qualified")
                )
                warnings.append(
                    f"{layer} fault rule {label!r} ({rule['fault']}) never applied: {seen}"
                )
    return warnings


def write_journal(journal: list[Entry], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for entry in journal:
            out.write(json.dumps(entry.to_dict()) + "\n")


def write_report(report: dict[str, Any], report_dir: Path) -> Path:
    path = report_dir / "report.json"
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return path


def summary_table(report: dict[str, Any]) -> Table:
    t = report["totals"]
    timing = report["timing"]
    table = Table(title="Run summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("schedule", f"{report['schedule']} ({report['timezone']})")
    table.add_row("period", f"{report['start']} to {report['end']}")
    table.add_row("seed / executor", f"{report['seed']} / {report['executor']}")
    table.add_row(
        "fires",
        f"{t['fires']}: [green]{t['succeeded']} succeeded[/]"
        + (f", [red]{t['failed']} failed[/]" if t["failed"] else "")
        + (f", [magenta]{t['dlq']} dead-lettered[/]" if t["dlq"] else "")
        + (f" ({t['partial']} partial)" if t.get("partial") else ""),
    )
    extra = "".join(
        f", {t[key]} {label if t[key] == 1 else plural}"
        for key, label, plural in (
            ("throttles", "throttled", "throttled"),
            ("trigger_errors", "hand-off error", "hand-off errors"),
            ("duplicates", "duplicate", "duplicates"),
            ("cold_starts", "cold start", "cold starts"),
        )
        if t.get(key)
    )
    table.add_row(
        "attempts",
        f"{t['attempts']} ({t['function_errors']} function errors, {t['timeouts']} timeouts"
        f"{extra})",
    )
    table.add_row("records processed", str(t["records_processed"]))
    for key, label, unit in (
        ("faults", "external API", "requests"),
        ("aws_faults", "AWS", "calls"),
    ):
        faults = report.get(key)
        if not faults or (key == "aws_faults" and not faults["rules"]):
            continue
        applied = ", ".join(f"{name} {n}" for name, n in list(faults["by_fault"].items())[:6])
        table.add_row(
            label,
            f"{faults['requests']} {unit}, {faults['faulted']} faulted"
            f" ({faults['source']}{': ' + applied if applied else ''})",
        )
    for warning in [*report.get("warnings", []), *report.get("alarms_not_evaluated", [])]:
        table.add_row("[yellow]warning[/]", warning)
    for name, stats in report["tables"].items():
        detail = ", ".join(f"{k} {v}" for k, v in stats.items() if k != "path")
        table.add_row(f"table {name}", detail)
    for invariant in report.get("invariants", []):
        mark = "[green]held[/]" if invariant["held"] else "[red]BROKEN[/]"
        table.add_row(invariant["name"], f"{mark}: {invariant['detail']}")
    truth = report.get("truth")
    if truth:
        table.add_row("ground truth", _truth_line(truth))
    for alarm in report.get("alarms", []):
        table.add_row(f"alarm {alarm['name']}", _alarm_line(alarm))
    table.add_row(
        "time",
        f"{report['virtual_seconds'] / 86400:.1f} virtual days in {report['wall_seconds']:.1f} s"
        f" wall (x{report['compression_ratio']:,.0f})",
    )
    table.add_row(
        "wall time spent in",
        f"embedded AWS {timing['backend_share']:.0%},"
        f" function + API {timing['function_share']:.0%},"
        f" harness {timing['harness_share']:.0%}",
    )
    return table


def _alarm_line(alarm: dict[str, Any]) -> str:
    times = alarm["times_in_alarm"]
    if not times:
        return f"never in ALARM; now {alarm['final_state']}"
    first = next(t for t in alarm["transitions"] if t["state"] == "ALARM")
    hours = alarm["seconds_in_alarm"] / 3600
    return (
        f"[red]ALARM {times} time{'s' if times != 1 else ''}[/] ({hours:.1f} h in all),"
        f" first {first['at']}: {first['reason']}; now {alarm['final_state']}"
    )


def _truth_line(truth: dict[str, Any]) -> str:
    if truth["caught_up_to"] is None:
        return "[yellow]no fully successful sync to compare with[/]"
    if truth["ok"]:
        checked, at = truth["checked"], truth["caught_up_to"]
        return f"[green]held[/]: {checked} records match the API as of {at}"
    counts = ", ".join(
        f"{len(truth[k])} {k}" for k in ("missing", "stale", "corrupted", "unexpected") if truth[k]
    )
    return f"[red]broken[/]: {counts} (see report.json 'truth')"
