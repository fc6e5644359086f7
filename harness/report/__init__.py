"""What a run leaves behind: report.json and the tables, the metrics and the deployed
alarms evaluated over the virtual timeline, the ground truth check, the summary on the
terminal and the page (report.html)."""

from .alarms import AlarmSpec, evaluate, monitoring, read_alarms
from .document import (
    dump_buckets,
    dump_table,
    dump_tables,
    fault_summary,
    plain,
    prepare_report_dir,
    record_stats,
    timing,
    unapplied_rule_warnings,
    write_journal,
    write_logs,
    write_report,
)
from .fires import Attempt, Fire, fire_of, totals
from .page import build as build_page
from .summary import print_summary, progress_bar, summary_table
from .truth import TruthCheck, check_records, quarantine_in, truth_of

__all__ = [
    "AlarmSpec",
    "Attempt",
    "Fire",
    "TruthCheck",
    "build_page",
    "check_records",
    "dump_buckets",
    "dump_table",
    "dump_tables",
    "evaluate",
    "fault_summary",
    "fire_of",
    "monitoring",
    "plain",
    "prepare_report_dir",
    "print_summary",
    "progress_bar",
    "quarantine_in",
    "read_alarms",
    "record_stats",
    "summary_table",
    "timing",
    "totals",
    "truth_of",
    "unapplied_rule_warnings",
    "write_journal",
    "write_logs",
    "write_report",
]
