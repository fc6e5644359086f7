"""The `harness run` command line that replays one seed of a swarm, and the swarm's
settings as that command line (what a resumed swarm must match)."""

from __future__ import annotations

import hashlib
import os
import shlex
from datetime import datetime
from pathlib import Path

from ..options import RunOptions

# RunOptions fields a swarm passes on to each run, with their `harness run` flags.
FLAGS = {
    "schedule": "--schedule",
    "timezone": "--tz",
    "start": "--start",
    "days": "--days",
    "changes_per_day": "--changes-per-day",
    "latency": "--latency",
    "handler": "--handler",
    "code_dir": "--code-dir",
    "function_timeout": "--function-timeout",
    "template": "--template",
    "data": "--data",
    "check": "--check",
    "api_upstream": "--api-upstream",
    "api_cassette": "--api-cassette",
    "api_env": "--api-env",
}
_DEFAULTS = RunOptions()
MAX_FILES = 20_000  # of a directory, fingerprinted for resuming


def run_arguments(options: RunOptions) -> list[str]:
    """The flags that give a run these options (those left at the default left out)."""
    arguments: list[str] = []
    for name, flag in FLAGS.items():
        value = getattr(options, name)
        if value is None or value == getattr(_DEFAULTS, name):
            continue
        if isinstance(value, datetime):  # as given: its offset and fractions kept
            text = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        arguments += [flag, text]
    for name, value in options.environment.items():
        arguments += ["--env", f"{name}={value}"]
    return arguments


def replay_command(options: RunOptions, seed: int, faults: str | Path, report_dir: Path) -> str:
    words = ["python", "-m", "harness", "run", *run_arguments(options)]
    words += ["--seed", str(seed), "--faults", str(faults), "--report-dir", str(report_dir)]
    return shlex.join(words)


def settings_key(options: RunOptions, faults: str, shrink_runs: int, report_dir: Path) -> str:
    """What a resumed swarm must match: the same runs, plans and bound on shrinking, and
    the same files under them (edit the handler, and its seeds' verdicts are old)."""
    words = [*run_arguments(options), "--faults", faults, "--shrink-runs", str(shrink_runs)]
    digest = hashlib.sha256(shlex.join(words).encode())
    read = [options.code_dir, options.template, options.data, options.api_cassette]
    read += [Path(faults), Path(options.latency), *_template_code(options.template)]
    skip = report_dir.resolve()
    for path in read:
        if path is not None:
            digest.update(_fingerprint(path, skip).encode())
    return digest.hexdigest()[:16]


def _template_code(template: Path | None) -> list[Path]:
    """The local code directories a SAM template's functions name (`CodeUri`)."""
    if template is None:
        return []
    from ..deploy.cloudformation import Template

    try:
        body = Template.load(template).body
    except Exception:  # a template the run itself will refuse, with its own words
        return []
    found = []
    default = ((body.get("Globals") or {}).get("Function") or {}).get("CodeUri")
    for resource in (body.get("Resources") or {}).values():
        uri = ((resource or {}).get("Properties") or {}).get("CodeUri", default)
        if isinstance(uri, str) and (template.parent / uri).is_dir():
            found.append(template.parent / uri)
    return found


def _fingerprint(path: Path, skip: Path) -> str:
    """Each file's path, size and modification time (its contents are not read: a data
    directory may hold gigabytes), the first MAX_FILES of a directory; hidden
    directories, caches and the swarm's own report directory left out."""
    try:
        if path.is_file():
            stat = path.stat()
            return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
        if not path.is_dir():
            return f"{path}:absent"
        seen: list[str] = []
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".") and d != "__pycache__" and Path(root, d).resolve() != skip
            )
            for name in sorted(files):
                seen.append(_fingerprint(Path(root, name), skip))
                if len(seen) >= MAX_FILES:
                    return ";".join(seen)
        return ";".join(seen)
    except (OSError, ValueError):  # unreadable, or a name the file system refuses
        return f"{path}:unreadable"
