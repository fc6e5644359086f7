"""Limits on the YAML and JSON documents the project reads: fault rules, latency
profiles, templates, request bodies, reports.

A document is checked before it is built: its size, how deep it nests, and how many
nodes it stands for once every alias is expanded. A few hundred bytes of YAML aliases
can stand for billions of nodes (the "billion laughs"), and a deeply nested document
exhausts the parser's recursion; both end here as one `DocumentError` line.

The YAML check walks libyaml's event stream (no recursion, no objects built), so it
costs a fraction of the load it guards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 64  # nested mappings and lists; real documents stay under 20
MAX_NODES = 1_000_000  # nodes once aliases are expanded: about 30 MB of YAML written out

try:  # libyaml's parser, which PyYAML's wheels carry
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]


class DocumentError(ValueError):
    """A document over a limit, or not parseable; the message is one line."""


def check_yaml(text: str, source: str, *, max_bytes: int) -> None:
    """Raise DocumentError when `text` is over `max_bytes`, nests deeper than MAX_DEPTH,
    expands to more than MAX_NODES nodes, or does not parse."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise DocumentError(f"{source}: {size:,} bytes, over the limit of {max_bytes:,}")
    sizes: dict[str, int] = {}  # anchor -> the nodes it stands for
    open_nodes: list[list[Any]] = []  # [nodes so far, anchor] per open collection
    expanded = 0
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                open_nodes.append([1, event.anchor])
                if len(open_nodes) > MAX_DEPTH:
                    raise DocumentError(f"{source}: nested deeper than {MAX_DEPTH} levels")
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                nodes, anchor = open_nodes.pop()
            elif isinstance(event, yaml.AliasEvent):
                nodes, anchor = sizes.get(event.anchor or "", 1), None
                expanded += nodes  # what the alias adds once the document is built
            elif isinstance(event, yaml.ScalarEvent):
                nodes, anchor = 1, event.anchor
                expanded += 1
            else:
                continue
            if anchor:
                sizes[anchor] = nodes
            if open_nodes:
                open_nodes[-1][0] += nodes
            if expanded > MAX_NODES:
                raise DocumentError(
                    f"{source}: expands to over {MAX_NODES:,} values (aliases repeat what"
                    " they name); write it out or make it smaller"
                )
    except yaml.YAMLError as exc:
        raise DocumentError(f"{source}: {yaml_problem(exc)}") from None


def read_yaml_text(path: Path, what: str, *, max_bytes: int) -> str:
    """A YAML or JSON file's text, checked (`check_yaml`) before anything parses it;
    DocumentError, one line naming `what` and the file, otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentError(f"cannot read {what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    check_yaml(text, str(path), max_bytes=max_bytes)
    return text


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error as `not valid YAML or JSON at line N (<problem>)`, one line."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None)
    why = f" ({' '.join(str(problem).split())})" if problem else ""
    return f"not valid YAML or JSON{where}{why}"


def load_json(text: str | bytes, source: str, *, max_bytes: int) -> Any:
    """JSON within `max_bytes` and MAX_DEPTH levels; DocumentError otherwise."""
    if len(text) > max_bytes:
        raise DocumentError(f"{source}: {len(text):,} bytes, over the limit of {max_bytes:,}")
    try:
        document = json.loads(text)
    except RecursionError:
        raise DocumentError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise DocumentError(f"{source} is not JSON ({exc})") from None
    if _depth(document) > MAX_DEPTH:
        raise DocumentError(f"{source}: nested deeper than {MAX_DEPTH} levels")
    return document


def _depth(document: Any) -> int:
    """How deep `document` nests (without recursion: the limit guards the stack)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node  # type: ignore[assignment]
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest
