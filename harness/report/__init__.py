"""What a run leaves behind: report.json and the tables, the metrics and the deployed
alarms evaluated over the virtual timeline, the ground truth check, the summary on the
terminal and the page (report.html)."""

from .alarms import AlarmSpec, evaluate, monitoring, read_alarms
from .document import plain, prepare_report_dir, write_report
from .fires import Attempt, Fire, fire_of, totals
from .page import build as build_page
from .summary import print_summary, summary_table
from .truth import TruthCheck, check_records, truth_of

__all__ = [
    "AlarmSpec",
    "Attempt",
    "Fire",
    "TruthCheck",
    "build_page",
    "check_records",
    "evaluate",
    "fire_of",
    "monitoring",
    "plain",
    "prepare_report_dir",
    "print_summary",
    "read_alarms",
    "summary_table",
    "totals",
    "truth_of",
    "write_report",
]
