"""`harness swarm`: many seeds of `harness run`, each with its seed's fault plan, on
every core or on a Dask cluster; every failure shrunk to the plan elements it needs and
written down with the command that replays it.

  verdict   what broke in one run, and the cause failures are grouped by
  shrink    delta debugging over a plan's API rules, AWS rules and delivery settings
  worker    one seed, run (and shrunk) in a worker process
  engines   the local pool, or a Dask cluster
  replay    the `harness run` command line of a seed
  files     runs.jsonl (resume), seeds/S/, swarm.json and swarm.html
  swarm     the whole: jobs out, results written as they come
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .swarm import SwarmOptions, SwarmResult, parse_seeds, run_swarm

__all__ = ["SwarmOptions", "SwarmResult", "parse_seeds", "run_swarm"]


def __getattr__(name: str) -> Any:
    """The swarm's machinery (process pools, rich's progress) is imported when first
    used, not at every start of the CLI, which registers `harness swarm` (about 40 ms)."""
    if name in __all__:
        from . import swarm

        return getattr(swarm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
