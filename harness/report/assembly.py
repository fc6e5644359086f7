"""report.json's document, put together from what a run prepared, deployed and collected."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from ..clock import iso_z
from .alarms import monitoring
from .document import fault_summary, record_stats, unapplied_rule_warnings
from .fires import totals
from .truth import quarantine_in, truth_of


def report_of(p: Any, s: Any, c: Any, *, end: datetime, wall: float) -> dict[str, Any]:
    """`p`, `s`, `c`: the runner's _Prepared, _Provisioned and _Collected (typed there;
    named here only by what is read, so that this module imports nothing of the runner)."""
    options, config, function = p.options, s.config, s.function
    records_table, ours = s.records_table, s.ours(c.fires)
    virtual = (end - options.start).total_seconds()
    return {
        "schedule": s.schedule.text,  # as deployed: a user's template may set its own
        "timezone": s.schedule.zone.key,
        "start": iso_z(options.start),
        "end": iso_z(end),
        "seed": options.seed,
        "interrupted": c.interrupted is not None,
        **({"interruption": c.interrupted} if c.interrupted else {}),
        "executor": options.executor,
        # The function's AWS calls: a worker process reaches the embedded AWS over HTTP.
        "transport": "http" if options.executor == "subprocess" else options.transport,
        "latency": p.latency.name,
        "backend": "embedded",
        "function": function.to_report(),
        "wall_seconds": round(wall, 3),
        "virtual_seconds": virtual,
        "compression_ratio": round(virtual / wall, 1) if wall else None,
        "timing": c.timing,
        "totals": totals(c.fires),
        "delivery": {**config.to_report(), "schedule_deleted": c.schedule_deleted},
        "invariants": [i.to_dict() for i in c.invariants],
        "faults": fault_summary(p.faults_source, c.fault_stats, c.journal),
        "aws_faults": fault_summary(p.faults_source, c.aws_stats, c.aws_journal),
        "warnings": unapplied_rule_warnings(c.fault_stats, c.aws_stats),
        "alarms_not_evaluated": c.alarm_warnings,
        "aws_calls": c.aws_calls,
        **monitoring(c.fires, p.report_dir / "logs.jsonl", c.alarm_specs, options.start, end),
        "stack": {"name": s.deployed.stack.name, "resources": s.deployed.stack.names()},
        "tables": {
            name: record_stats(items) if name == records_table and ours else {"items": len(items)}
            for name, items in c.tables.items()
        },
        "buckets": c.buckets,
        "data": s.seeded.to_report() if s.seeded else None,
        # The sync's own rows: ground truth against the API, and its quarantine.
        "truth": truth_of(p.dataset, c.tables, records_table, s.sync_table, end) if ours else None,
        "quarantine": quarantine_in(c.tables, s.sync_table) if ours else None,
        "fires": [asdict(fire) for fire in c.fires],
    }
