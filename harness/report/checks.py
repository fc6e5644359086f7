"""`--check MOD:FUNC`: the user's own verdict on a run.

The function is imported from the function's code directory (or the template's, or the
current one) and called with the run's report directory once everything is written. It
raises AssertionError with a message when the run is wrong; its verdict is an invariant
row like the harness's own, and the run exits 1 with the message as one line.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ..delivery.accounting import Invariant
from ..errors import BadInput
from ..runtime.base import import_function

_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
Check = Callable[[Path], object]


def check_spec(spec: str | None) -> None:
    if spec is not None and (len(spec) > 256 or not _SPEC.match(spec)):
        shown = spec if len(spec) <= 80 else spec[:77] + "..."
        raise BadInput(f"--check {shown!r} must look like package.module:function")


def load_check(spec: str, search: Iterable[Path]) -> Check:
    """The function `spec` names, imported from the first of `search` that holds its
    module (a module of that name imported from elsewhere, another project's
    `checks`, is put aside first)."""
    check_spec(spec)
    module_name, _, function_name = spec.partition(":")
    home = _home_of(module_name, search)
    if home is not None:
        if home in sys.path:
            sys.path.remove(home)
        sys.path.insert(0, home)
        top = module_name.split(".")[0]
        loaded = sys.modules.get(top)
        if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(home):
            _forget_package(top)
    return import_function(f"{module_name}.{function_name}", what="--check")


OURS = frozenset({"harness", "mock_api", "function"})


def forget_check(spec: str) -> None:
    """The check's modules go, so the next run imports them afresh, as a new `harness
    run` would: state a check keeps in its module does not carry over (a swarm's seeds
    in one process). Never the harness's own packages, out from under it."""
    top = spec.partition(":")[0].split(".")[0]
    if top not in OURS:
        _forget_package(top)


def _forget_package(top: str) -> None:
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]


def _home_of(module_name: str, search: Iterable[Path]) -> str | None:
    relative = Path(*module_name.split("."))
    for directory in search:
        for candidate in (relative.with_suffix(".py"), relative / "__init__.py"):
            if os.path.isfile(directory / candidate):  # False for a name too long
                return os.path.join(str(directory.resolve()), "")
    return None


def import_check(spec: str | None, code_dir: str | None, template: Path | None) -> Check | None:
    """`spec` imported before anything fires: from the function's code, the template's
    directory, or the current one."""
    if spec is None:
        return None
    search = [Path(code_dir)] if code_dir else []
    if template is not None:
        search.append(template.resolve().parent)
    return load_check(spec, [*search, Path.cwd()])


def run_check(spec: str, check: Check, report_dir: Path) -> Invariant:
    """The check's verdict on the run in `report_dir`."""
    try:
        check(report_dir)
    except AssertionError as exc:
        return Invariant(f"check {spec}", False, _one_line(str(exc)) or "AssertionError")
    except Exception as exc:  # the check itself broke: the run is not shown to be right
        return Invariant(f"check {spec}", False, _one_line(f"raised {type(exc).__name__}: {exc}"))
    return Invariant(f"check {spec}", True, "passed")


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 500 else line[:497] + "..."
