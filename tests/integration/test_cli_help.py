"""Help that reads well anywhere: piped into a file or a pager, every option shows whole."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main

from harness.cli import app

from .cli import harness


def _commands() -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = []

    def walk(path: list[str], command: Any) -> None:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                walk([*path, name], sub)
        else:
            found.append((path, command))

    walk([], typer.main.get_command(app))
    return found


COMMANDS = _commands()


def test_every_command_is_checked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"run", "deploy", "live", "report", "schedule next", "schedule explain"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_without_a_terminal_shows_every_option_whole(path: list[str], command: Any) -> None:
    # COLUMNS as a narrow terminal would set it; TERMINAL_WIDTH unset, as for most users.
    done = harness(*path, "--help", env={"COLUMNS": "80", "TERMINAL_WIDTH": None})
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    options = [o for p in command.params for o in [*p.opts, *p.secondary_opts] if o.startswith("-")]
    words = done.stdout.replace(",", " ").split()
    missing = [o for o in options if o not in words]
    assert missing == [], done.stdout
