"""Build a function's deployment zip.

The reference function: `function/` as it sits in the repository (the package at the
zip's root); its third-party imports are found by reading its source, and the installed
distributions that provide them, with what those require in turn, are copied in from
this environment (pinned by requirements.lock), except what the python3.12 runtime
already has (boto3 and its own dependencies).

A user's code directory: every file in it as it is (vendored packages included, nothing
scanned or refused), and its `requirements.txt` installed for the Lambda platform as
`sam build` does (`dependencies`). The zip is held to Lambda's size limit.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import io
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from packaging.requirements import Requirement

from ..errors import BadInput
from .dependencies import installed_requirements

FUNCTION_ROOT = Path(__file__).resolve().parents[2] / "function"
# Fixed timestamps keep the zip (and so its CodeSha256) byte-for-byte reproducible.
_EPOCH = (1980, 1, 1, 0, 0, 0)
# What Lambda's Python runtimes ship: the SDK and its dependencies.
RUNTIME_PROVIDES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
# Requirement markers are evaluated for the deployed runtime, not for this interpreter.
_LAMBDA_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "extra": "",
}
_COMPILED = (".so", ".pyd", ".dylib")


def build_function_zip(root: Path = FUNCTION_ROOT, *, base: Path | None = None) -> bytes:
    """Every `.py` under `root`, named relative to `base` (`root`'s parent: the package
    itself at the top of the zip), and the distributions it needs."""
    base = (base or root.parent).resolve()
    root = root.resolve()
    sources = _sources(root)
    signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sources)
    return _build(root, base, signature)


@functools.cache
def _build(root: Path, base: Path, signature: tuple[tuple[str, int, int], ...]) -> bytes:
    """The zip for these sources as they are (cached: a run deploys it every time)."""
    sources = [Path(name) for name, _, _ in signature]
    own = {p.relative_to(base).parts[0].removesuffix(".py") for p in sources}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sources:
            _add(archive, str(path.relative_to(base)), path.read_bytes())
        for name, path in vendored_files(third_party_imports(sources) - own):
            _add(archive, name, path.read_bytes())
    return buffer.getvalue()


# Directories in a code dir that are not the function: caches, tooling, installed
# packages (and any virtual environment, found by its pyvenv.cfg).
_NOT_CODE = {"__pycache__", "node_modules", "site-packages"}


def _sources(root: Path) -> list[Path]:
    environments = {cfg.parent for cfg in root.rglob("pyvenv.cfg")}
    return sorted(
        path
        for path in root.rglob("*.py")
        if not any(
            part in _NOT_CODE or part.startswith(".") for part in path.relative_to(root).parts[:-1]
        )
        and not any(env in path.parents for env in environments)
    )


# Lambda's limit on a function's code, unzipped (layers included).
MAX_UNZIPPED_BYTES = 262_144_000


def build_user_zip(code_dir: Path) -> bytes:
    """Every file of `code_dir` at the zip's root, and its requirements installed for
    Lambda (python3.12, x86_64)."""
    root = code_dir.resolve()
    installed = installed_requirements(root)
    files = [(str(p.relative_to(root)), p) for p in _code_files(root)]
    if installed is not None:
        own = {name for name, _ in files}
        files += [
            (name, p)
            for p in _code_files(installed)
            if (name := str(p.relative_to(installed))) not in own
        ]
    size = sum(p.stat().st_size for _, p in files)
    if size > MAX_UNZIPPED_BYTES:
        raise BadInput(
            f"{code_dir}: the function's code is {size / 1e6:,.0f} MB unzipped, over Lambda's"
            " 262 MB (250 MiB) limit: move large dependencies to a layer or a container image"
        )
    signature = tuple((name, str(p), p.stat().st_mtime_ns, p.stat().st_size) for name, p in files)
    return _zip_files(signature)


@functools.cache
def _zip_files(signature: tuple[tuple[str, str, int, int], ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path, _, _ in signature:
            _add(archive, Path(name).as_posix(), Path(path).read_bytes())
    return buffer.getvalue()


def _code_files(root: Path) -> list[Path]:
    """Every file under `root` but caches, bytecode, tooling and virtual environments."""
    environments = {cfg.parent for cfg in root.rglob("pyvenv.cfg")}
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not path.name.endswith(".pyc")
        and not path.name.startswith(".")
        and not any(
            part in _NOT_CODE or part.startswith(".") for part in path.relative_to(root).parts[:-1]
        )
        and not any(env in path.parents for env in environments)
    )


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = 0o644 << 16
    archive.writestr(info, data, zipfile.ZIP_DEFLATED)


def third_party_imports(sources: Iterable[Path]) -> set[str]:
    """Top-level names of the absolute imports in `sources` that are not the standard
    library's."""
    names: set[str] = set()
    for path in sources:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            raise BadInput(f"{path}:{exc.lineno}: cannot package, not valid Python") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def needed_distributions(modules: Iterable[str]) -> list[str]:
    """The distributions providing `modules` and all they require, minus the runtime's."""
    providers = importlib.metadata.packages_distributions()
    wanted: list[str] = []
    for module in sorted(modules):
        if module not in providers:
            raise BadInput(
                f"the function imports {module!r}, which is not installed here: install it"
                " (pinned) so the deploy can package it"
            )
        wanted.extend(providers[module])
    seen: dict[str, str] = {}
    while wanted:
        name = wanted.pop()
        key = _canonical(name)
        if key in seen or key in RUNTIME_PROVIDES:
            continue
        seen[key] = name
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(_LAMBDA_MARKERS):
                wanted.append(requirement.name)
    return sorted(seen.values(), key=_canonical)


def vendored_files(modules: Iterable[str]) -> Iterator[tuple[str, Path]]:
    """(name in the zip, installed file) for every file of the needed distributions."""
    for name in needed_distributions(modules):
        distribution = importlib.metadata.distribution(name)
        for file in sorted(distribution.files or [], key=str):
            parts = Path(str(file)).parts
            if parts[0] == ".." or "__pycache__" in parts or str(file).endswith(".pyc"):
                continue  # scripts outside site-packages, and bytecode
            if str(file).endswith(_COMPILED):
                raise BadInput(
                    f"{name} contains compiled code built for this machine; build the zip"
                    " on Linux for Lambda instead (for example `sam build --use-container`)"
                )
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                yield str(file), path
