"""Every example in README.md and docs/ is output the command really prints.

An example is a ```console block: `$ python -m harness ...` lines, each followed by what
it prints on stdout. Each is run as a reader would from the repository root (here: from a
scratch directory that sees the checkout's examples/, so that out/ in the checkout is
left alone), in an 80-column pipe, and its output must match line for line. The
exceptions are the run summary's wall-clock rows (`time`, `wall time spent in`): their
figures change from run to run by nature, and everything else follows from the seed;
likewise a swarm's seconds and seeds per second. A swarm that found failures exits 1.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from .cli import REPO, harness

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
WALL_CLOCK_ROWS = ("time", "wall time spent in")
_ROW = re.compile(r"^│ (.*?) +│ (.*?) *│$")
# a swarm's first line: `20 run in 59.9 s on 2 local workers: 0.334 seeds/s`
_SWARM_SPEED = re.compile(r"run in [0-9.]+ s on (\d+ \w+ workers?): [0-9.]+ seeds/s")


@dataclass
class Example:
    page: Path
    line: int
    command: str
    expected: list[str]

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def examples_in(page: Path) -> list[Example]:
    found: list[Example] = []
    in_console = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_console = line == "```console"
        elif in_console and line.startswith("$ "):
            found.append(Example(page, number, line[2:], []))
        elif in_console and found:
            found[-1].expected.append(line)
    return found


EXAMPLES = [example for page in PAGES for example in examples_in(page)]


def comparable(lines: list[str]) -> list[str]:
    """Trailing spaces dropped; a table row's wrapped continuation lines joined to it, so
    a cell that wraps differently reads the same; the wall-clock rows' figures hidden."""
    out: list[str] = []
    for line in (raw.rstrip() for raw in lines):
        row = _ROW.match(line)
        if row and not row.group(1) and out and _ROW.match(out[-1]):
            name, value = _ROW.match(out[-1]).groups()  # type: ignore[union-attr]
            out[-1] = f"│ {name} │ {value} {row.group(2)} │"
            continue
        if row:
            line = f"│ {row.group(1)} │ {row.group(2)} │"
        out.append(line)
    return [_hide_wall_clock(line) for line in out]


def _hide_wall_clock(line: str) -> str:
    line = _SWARM_SPEED.sub(r"run in N s on \1: N seeds/s", line)
    row = _ROW.match(line)
    if row and row.group(1) in WALL_CLOCK_ROWS:
        return f"│ {row.group(1)} │ {re.sub(r'[0-9][0-9.,]*', 'N', row.group(2))} │"
    return line


def test_the_pages_have_examples() -> None:
    pages = {example.page.name for example in EXAMPLES}
    assert {"README.md", "schedules.md"} <= pages


def test_comparing_joins_wrapped_cells_and_hides_only_wall_clock_figures() -> None:
    printed = [
        "│ time      │ 90.0 virtual days in 18.5 s wall │",
        "│           │ (x420,710)                       │",
        "│ fires     │ 90: 90 succeeded                 │",
    ]
    shown = [
        "│ time │ 90.0 virtual days in 7.1 s wall (x1,141,000) │",
        "│ fires │ 90: 90 succeeded │",
    ]
    assert comparable(printed) == comparable(shown)
    assert comparable(["│ fires │ 89: 89 succeeded │"]) != comparable(printed[2:])


def test_comparing_hides_a_swarms_speed_but_not_its_verdict() -> None:
    line = "4 of 5 seeds held (1-5, 14 days each); 5 run in {} s on 2 local workers: {} seeds/s"
    assert comparable([line.format("20.1", "0.249")]) == comparable([line.format("9.0", "0.5")])
    assert comparable([line.format("9.0", "0.5")]) != comparable(
        [line.replace("4 of", "5 of").format("9.0", "0.5")]
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_the_example_prints_what_the_page_shows(example: Example, tmp_path: Path) -> None:
    argv = shlex.split(example.command)
    assert argv[:3] == ["python", "-m", "harness"], f"{example.id}: run examples of harness only"
    (tmp_path / "examples").symlink_to(REPO / "examples")
    done = harness(
        *argv[3:],
        cwd=tmp_path,
        env={"COLUMNS": "80", "TERMINAL_WIDTH": None, "PYTHONPATH": str(REPO)},
    )
    found_failures = argv[3] == "swarm" and done.returncode == 1  # what a swarm is for
    assert done.returncode == 0 or found_failures, f"{example.id}: {done.stderr}"
    assert comparable(done.stdout.splitlines()) == comparable(example.expected), example.id
