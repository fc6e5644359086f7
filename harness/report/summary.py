"""The run summary a person reads on the terminal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..runtime.base import error_parts


def print_summary(report: dict[str, Any], report_path: Path, console: Console) -> None:
    console.print(summary_table(report))
    console.print(f"Report: [bold]{report_path}[/]", soft_wrap=True)  # paths stay whole
    page = report_path.with_name("report.html")
    console.print(f"Page:   [bold]{page}[/]", soft_wrap=True)


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
    for kind, (count, example) in failed_attempts(report).items():
        table.add_row(f"[red]failed: {kind}[/]", f"{count} x, e.g. {example}")
    calls = report.get("aws_calls") or {}
    if calls:
        shown = ", ".join(f"{name} {n}" for name, n in list(calls.items())[:3])
        more = f", {len(calls) - 3} more kinds" if len(calls) > 3 else ""
        table.add_row("AWS calls", f"{sum(calls.values())}: {shown}{more}")
    if report.get("truth") is not None:  # the reference sync's count
        table.add_row("records processed", str(t["records_processed"]))
    named = _logical_names(report)
    data = report.get("data")
    if data:
        table.add_row("data loaded", _data_line(data, named))
    for key, label, unit in (
        ("faults", "external API", "requests"),
        ("aws_faults", "AWS", "calls"),
    ):
        faults = report.get(key)
        if not faults or (not faults["rules"] and (key == "aws_faults" or not faults["requests"])):
            continue  # no rules, and (for the API) a function that never called it
        applied = ", ".join(f"{name} {n}" for name, n in list(faults["by_fault"].items())[:6])
        table.add_row(
            label,
            f"{faults['requests']} {unit}, {faults['faulted']} faulted"
            f" ({Path(faults['source']).name}{': ' + applied if applied else ''})",
        )
    for warning in [*report.get("warnings", []), *report.get("alarms_not_evaluated", [])]:
        table.add_row("[yellow]warning[/]", warning)
    for name, stats in report["tables"].items():
        detail = ", ".join(f"{k} {v}" for k, v in stats.items() if k != "path")
        table.add_row(f"table {named.get(name, name)}", detail)
    for name, stats in (report.get("buckets") or {}).items():
        label = f"bucket {named.get(name, name)}"
        table.add_row(label, f"objects {stats['objects']}, bytes {stats['bytes']:,}")
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


def _logical_names(report: dict[str, Any]) -> dict[str, str]:
    """A user's stack's generated names (`app-Orders-745FE855F5B7`) by the logical ids
    the template gave them (`Orders`): shorter, and what the user wrote."""
    stack = report.get("stack") or {}
    generated = f"{stack.get('name')}-".lower()  # names the template left to CloudFormation
    return {
        physical: logical
        for logical, physical in (stack.get("resources") or {}).items()
        if physical.lower().startswith(generated)
    }


def _data_line(data: dict[str, Any], named: dict[str, str]) -> str:
    parts = [f"{n} items in {named.get(table, table)}" for table, n in data["items"].items()]
    parts += [f"{n} objects in {named.get(b, b)}" for b, n in data["objects"].items()]
    parts += [f"secret {name}" for name in data["secrets"]]
    return ", ".join(parts) or "nothing"


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


@contextmanager
def progress_bar(console: Console, total: int, enabled: bool) -> Iterator[Any]:
    """The firing bar; `advance(scheduled)` moves it one occurrence."""
    progress = Progress(
        TextColumn("[bold blue]firing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("virtual [cyan]{task.fields[virtual]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
    )
    task = progress.add_task("fires", total=total, virtual="-")

    def advance(scheduled: datetime) -> None:
        progress.update(task, advance=1, virtual=scheduled.strftime("%Y-%m-%d %H:%M"))

    with progress:
        yield advance


_REQUEST_ID = re.compile(r"^RequestId: \S+ (Error: )?")


def failed_attempts(report: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """The failed runs by error type (`ValueError`, `Sandbox.Timedout`...): how many, and
    one message as an example, shortened."""
    kinds: dict[str, tuple[int, str]] = {}
    for fire in report.get("fires", []):
        for attempt in fire.get("attempts", []):
            error = attempt.get("error")
            if not error or attempt.get("status") not in ("function_error", "timeout"):
                continue
            kind, message = error_parts(str(error))
            kind = kind or attempt["status"]
            # A timeout's text opens with the request id: noise in an example.
            message = _REQUEST_ID.sub("", message)
            count, example = kinds.get(kind, (0, message))
            kinds[kind] = (count + 1, example)
    return {k: (n, e if len(e) <= 80 else e[:77] + "...") for k, (n, e) in kinds.items()}
