"""What a swarm writes into its report directory:

runs.jsonl          one line per finished seed, appended as it finishes (a re-run into
                    the directory skips the seeds it holds);
seeds/S/            a failing seed's run (report.json, report.html, journals, tables)
                    and its minimal plan, minimal-plan.yaml, a rule file for --faults;
swarm.json          every seed's verdict, replay and minimal plan, and a summary;
swarm.html          the failures grouped by cause, each linking to its run's page.
"""

from __future__ import annotations

import html
import io
import json
import shutil
import tarfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from ..errors import BadInput
from .shrink import described

RUNS = "runs.jsonl"
MAX_RUNS_LINE_BYTES = 1_000_000


def read_done(report_dir: Path, key: str) -> dict[int, dict[str, Any]]:
    """The seeds an earlier swarm with the same settings finished here. A line cut
    short (the swarm was killed while writing it), too long or not of the shape a swarm
    writes is skipped: its seed runs again."""
    path = report_dir / RUNS
    if not path.exists():
        return {}
    done: dict[int, dict[str, Any]] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        while line := lines.readline(MAX_RUNS_LINE_BYTES):
            result = _well_formed(line)
            if result is None:
                continue
            if result["settings"] != key:
                raise BadInput(
                    f"{path} holds seeds of a swarm with other settings (its options, fault"
                    " file, code, template or data changed since); add --fresh to start"
                    " again, or give another --report-dir"
                )
            done[result["seed"]] = result
    return done


_SHAPE: dict[str, tuple[type, ...]] = {
    "seed": (int,),
    "ok": (bool,),
    "broken": (list,),
    "error": (str, type(None)),
    "cause": (str, type(None)),
    "replay": (str,),
    "settings": (str,),
    "minimal_plan": (dict, type(None)),
}


def _well_formed(line: str) -> dict[str, Any] | None:
    try:
        result = json.loads(line)
    except ValueError:
        return None
    if not isinstance(result, dict) or any(
        not isinstance(result.get(name), kinds) for name, kinds in _SHAPE.items()
    ):
        return None
    if result["ok"] == (result["cause"] is not None) or isinstance(result["seed"], bool):
        return None
    try:
        described(result["minimal_plan"])  # a plan the replay can read
    except (ValueError, TypeError):
        return None
    return result


def forget(report_dir: Path) -> None:
    """`--fresh`: what an earlier swarm wrote here goes (and nothing else)."""
    for name in (RUNS, "swarm.json", "swarm.html"):
        (report_dir / name).unlink(missing_ok=True)
    shutil.rmtree(report_dir / "seeds", ignore_errors=True)


def record(report_dir: Path, result: dict[str, Any], archive: bytes | None) -> None:
    """A finished seed: its run's files (when it failed) and its line in runs.jsonl."""
    if archive is not None:
        home = report_dir / "seeds" / str(result["seed"])
        home.mkdir(parents=True, exist_ok=True)
        _unpack(archive, home)
    if result["minimal_plan"] is not None:
        write_plan(plan_path(report_dir, result["seed"]), result["minimal_plan"])
    with (report_dir / RUNS).open("a", encoding="utf-8") as out:
        out.write(json.dumps(result, sort_keys=True) + "\n")


def _unpack(archive: bytes, home: Path) -> None:
    """A worker's run directory, unpacked: files and directories under `home` only."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            inside = not member.name.startswith("/") and ".." not in Path(member.name).parts
            if not inside or not (member.isfile() or member.isdir()):
                raise BadInput(f"a worker sent a run with {member.name!r} in it; not unpacked")
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and newer: its own check too
            tar.extractall(home, members=members, filter="data")
        else:
            tar.extractall(home, members=members)


def plan_path(report_dir: Path, seed: int) -> Path:
    return report_dir / "seeds" / str(seed) / "minimal-plan.yaml"


def write_plan(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    path.write_text("# the smallest plan that still fails this way\n" + text, encoding="utf-8")


def causes(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failing seeds grouped by cause, the commonest first."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        if not run["ok"]:
            grouped[run["cause"]].append(run)
    return [
        {
            "cause": cause,
            "seeds": [run["seed"] for run in members],
            "broken": members[0]["broken"],
            "error": members[0]["error"],
            "first_replay": members[0]["replay"],
            "first_minimal_plan": described(members[0]["minimal_plan"]),
        }
        for cause, members in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def headline(summary: dict[str, Any]) -> str:
    """`17 of 20 seeds held`, `2 errors`, `3 not run`: what finished, and what did not."""
    said = f"{summary['held']} of {summary['finished']} seeds held"
    if summary["errors"]:
        said += f", {summary['errors']} could not be run"
    if summary["finished"] < summary["seeds"]:
        said += f"; {summary['seeds'] - summary['finished']} of {summary['seeds']} not run"
    return said


def write_swarm_json(report_dir: Path, document: dict[str, Any]) -> Path:
    path = report_dir / "swarm.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def write_swarm_html(report_dir: Path, document: dict[str, Any]) -> Path:
    summary = document["summary"]
    by_seed = {run["seed"]: run for run in document["runs"]}
    sections = []
    for group in summary["causes"]:
        items = []
        for seed in group["seeds"]:
            run = by_seed[seed]
            page = f"seeds/{seed}/report.html"
            has_page = (report_dir / page).exists()
            link = f'<a href="{page}">seed {seed}</a>' if has_page else f"seed {seed}"
            plan = run["minimal_plan"]
            shrunk = run.get("shrink") or {}
            note = (
                f"minimal plan ({shrunk.get('kept')} of {shrunk.get('elements')} elements,"
                f" {shrunk.get('runs')} re-runs{'' if shrunk.get('complete') else ', cut short'})"
                if shrunk
                else "plan"
            )
            body = yaml.safe_dump(plan, sort_keys=False) if plan is not None else ""
            needs = "; ".join(described(plan)) if plan is not None else ""
            items.append(
                f"<li>{link}: {html.escape('; '.join(run['broken']) or run['error'] or '')}"
                + (f"<br>fails with: <b>{html.escape(needs)}</b>" if needs else "")
                + f"<pre>{html.escape(run['replay'] or '')}</pre>"
                + (
                    f"<details><summary>{note}</summary><pre>{html.escape(body)}</pre></details>"
                    if plan is not None
                    else ""
                )
                + "</li>"
            )
        sections.append(
            f"<h2>{html.escape(group['cause'])} <small>({len(group['seeds'])} seeds)</small></h2>"
            f"<ul>{''.join(items)}</ul>"
        )
    verdict = headline(summary)
    speed = f"{summary['seeds_per_second']} seeds/s" if summary["ran"] else "-"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Swarm: {html.escape(verdict)}</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}}
pre{{background:#f4f4f4;padding:.5em;white-space:pre-wrap;word-break:break-all}}small{{color:#666}}
table{{border-collapse:collapse}}td{{padding:.2em 1em .2em 0}}</style></head><body>
<h1>Swarm: {html.escape(verdict)}</h1>
<table>
<tr><td>seeds</td><td>{html.escape(summary["range"])} ({summary["seeds"]})</td></tr>
<tr><td>held / failed / errors</td><td>{summary["held"]} / {summary["failed"]} /
 {summary["errors"]}</td></tr>
<tr><td>engine</td><td>{html.escape(summary["engine"])}, {summary["workers"]} worker(s)</td></tr>
<tr><td>speed</td><td>{speed}
 ({summary["ran"]} run now, {summary["resumed"]} from an earlier swarm)</td></tr>
</table>
{"".join(sections) or "<p>No seed failed.</p>"}
</body></html>
"""
    path = report_dir / "swarm.html"
    path.write_text(page, encoding="utf-8")
    return path
