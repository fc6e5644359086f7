"""report.html: the run as a page a person reads, one self-contained file.

The data (fires, the API journal in time bins, run durations, table size, alarm states)
goes into the page as compact JSON; a small inline script draws it on canvases. No
CDN, no fonts, no libraries: it opens offline from a laptop's file manager.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mock_api.documents import DocumentError, load_json

from ..clock import epoch
from ..errors import BadInput
from .attempts import invocation_logs, occurrence_attempts
from .summary import failed_attempts

OUTCOMES = {"succeeded": 0, "failed": 1, "dlq": 2}
STATES = {"OK": 0, "ALARM": 1, "INSUFFICIENT_DATA": 2}
API_BINS = 600  # the journal, in at most this many time bins
DURATION_BINS = 30
MAX_REPORT_BYTES = 1_000_000_000  # a report.json `harness report` reads


def page_data(
    report: dict[str, Any], journal: Iterable[dict[str, Any]], logs: Path | None = None
) -> dict[str, Any]:
    """What the page draws, computed here so the page stays small and quick; `logs`
    (logs.jsonl) gives each invocation's lines for when an occurrence is opened."""
    t0, t1 = epoch(report["start"]), epoch(report["end"])
    shown_logs = invocation_logs(report, logs) if logs is not None else {}
    span = max(1.0, t1 - t0)
    fires: dict[str, list[Any]] = {key: [] for key in ("t", "o", "a", "r", "d", "n", "q")}
    active: list[list[int]] = []  # [t, active, archived] where the run counted them
    durations: list[float] = []
    for fire in report["fires"]:
        runs = [a for a in fire["attempts"] if a.get("layer", "lambda") in ("lambda", "duplicate")]
        durations.extend(a["duration_ms"] for a in runs if a["status"] != "throttled")
        fires["t"].append(round(epoch(fire["scheduled_time"]) - t0))
        fires["o"].append(OUTCOMES.get(fire["outcome"], 1))
        fires["a"].append(len(runs))
        fires["r"].append(fire.get("records_processed", 0))
        fires["d"].append(runs[-1]["duration_ms"] if runs else 0)
        size = fire.get("table_items")
        fires["n"].append(-1 if size is None else size)
        if size is not None and fire.get("table_active") is not None:
            active.append([fires["t"][-1], fire["table_active"], size - fire["table_active"]])
        fires["q"].append(1 if fire.get("dead_letter") else 0)
    return {
        "meta": _meta(report),
        "span": span,
        "fires": fires,
        "api": _api_bins(journal, t0, span),
        "durations": _histogram(durations),
        "active": active,
        "occ": occurrence_attempts(report, shown_logs),
        "logs": shown_logs,
        "alarms": [
            {
                "name": alarm["name"],
                "rule": f"{alarm['metric']} {alarm['statistic']} {alarm['comparison']}"
                f" {alarm['threshold']:g}, {alarm['datapoints_to_alarm']} of"
                f" {alarm['evaluation_periods']} x {alarm['period']} s",
                "transitions": [
                    [round(epoch(t["at"]) - t0), STATES[t["state"]], t["at"], t["reason"]]
                    for t in alarm["transitions"]
                ],
            }
            for alarm in report.get("alarms", [])
        ],
    }


def _meta(report: dict[str, Any]) -> dict[str, Any]:
    invariants = report.get("invariants", [])
    truth = report.get("truth")
    return {
        "schedule": f"{report['schedule']} ({report.get('timezone', 'UTC')})",
        "start": report["start"],
        "end": report["end"],
        "seed": report["seed"],
        "executor": report.get("executor"),
        "compression": report.get("compression_ratio"),
        "wall": report.get("wall_seconds"),
        "days": round(report["virtual_seconds"] / 86400, 1),
        "totals": report["totals"],
        "invariants": [[i["name"], i["held"], i["detail"]] for i in invariants],
        "truth": None
        if not truth
        else [truth["ok"], truth.get("checked", 0), truth.get("caught_up_to")],
        "tables": report.get("tables", {}),
        "faults": (report.get("faults") or {}).get("source"),
        # What applies to any function: the stack at the end, its AWS calls, its errors.
        "sync": truth is not None,  # the reference sync: its records charts apply
        "buckets": report.get("buckets") or {},
        "aws_calls": report.get("aws_calls") or {},
        "errors": [[kind, n, example] for kind, (n, example) in failed_attempts(report).items()],
    }


def _api_bins(journal: Iterable[dict[str, Any]], t0: float, span: float) -> dict[str, Any]:
    bins = API_BINS
    width = span / bins
    kinds = ("ok", "s4", "s5", "none", "faulted")
    counts = {kind: [0] * bins for kind in kinds}
    for entry in journal:
        at = entry.get("logical_time")
        if not at:
            continue
        index = min(bins - 1, max(0, int((epoch(at) - t0) / width)))
        status = entry.get("status")
        kind = (
            "none" if status is None else "ok" if status < 400 else "s4" if status < 500 else "s5"
        )
        counts[kind][index] += 1
        if entry.get("fault"):
            counts["faulted"][index] += 1
    return {"width": width, **counts}


def _histogram(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"edges": [0, 1], "counts": [0]}
    top = max(values) or 1.0
    step = top / DURATION_BINS
    counts = [0] * DURATION_BINS
    for value in values:
        counts[min(DURATION_BINS - 1, int(value / step))] += 1
    return {"edges": [round(i * step, 1) for i in range(DURATION_BINS + 1)], "counts": counts}


def build(report_dir: Path) -> Path:
    """Write report_dir/report.html from what the run wrote there."""
    source = report_dir / "report.json"
    try:
        report = load_json(source.read_bytes(), str(source), max_bytes=MAX_REPORT_BYTES)
    except DocumentError as exc:
        raise BadInput(f"{exc} (is it a harness run's report?)") from None
    except FileNotFoundError:
        raise BadInput(
            f"{report_dir} has no report.json: give the --report-dir of a `harness run`"
        ) from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{source} cannot be read as a report: {exc}") from None
    try:
        data = page_data(report, _jsonl(report_dir / "journal.jsonl"), report_dir / "logs.jsonl")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise BadInput(f"{report_dir} does not hold a harness run's report ({reason})") from None
    target = report_dir / "report.html"
    target.write_text(render(data), encoding="utf-8")
    return target


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """The journal's entries; a line that is not one (edited by hand, cut short) is
    left out."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def render(data: dict[str, Any]) -> str:
    # No `<` at all in the script's text: neither `</script>` nor `<!--` can end it early.
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    title = html.escape(f"Run {data['meta']['schedule']} {data['meta']['start']}")
    return _PAGE.replace("__TITLE__", title).replace("__DATA__", payload)


_PAGE = (Path(__file__).with_name("page.html")).read_text(encoding="utf-8")
