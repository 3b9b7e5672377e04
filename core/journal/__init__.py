"""The SQLite journal: what happened and why, crash recovery, and the reports built on it.

Public names are re-exported here; each lives in the module named for it."""

from core.journal.backtest_journal import BACKTEST_SOURCE, open_for_backtest
from core.journal.figures import tier_table, today_figures
from core.journal.journal import Journal
from core.journal.paths import MEMORY, default_journal_path, resolve_journal_path
from core.journal.reconciliation import record_reconciliation
from core.journal.recovery import open_positions, restore_into, restore_risk_counters
from core.journal.reports import by_reason, by_tier, format_report, report, summarize, wilson_interval
from core.journal.schema import SCHEMA_VERSION, JournalError, migrate, schema_version
from core.journal.shutdown import install_signal_handlers

__all__ = [
    "BACKTEST_SOURCE",
    "Journal",
    "JournalError",
    "MEMORY",
    "SCHEMA_VERSION",
    "by_reason",
    "by_tier",
    "default_journal_path",
    "format_report",
    "install_signal_handlers",
    "migrate",
    "open_for_backtest",
    "open_positions",
    "record_reconciliation",
    "report",
    "resolve_journal_path",
    "restore_into",
    "restore_risk_counters",
    "schema_version",
    "summarize",
    "tier_table",
    "today_figures",
    "wilson_interval",
]
