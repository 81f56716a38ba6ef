"""Import recorded event logs (CSV, XES) into topics exactly once, with inferred schemas."""

from __future__ import annotations

from keybus.importer.errors import (
    EarlierImportError,
    ImportConflictError,
    LogFormatError,
    MappingError,
    MixedTopicError,
)
from keybus.importer.events import EventBuilder, ImportStats, Reject, event_id_for_row
from keybus.importer.job import ImportOptions, ImportPlan, ImportResult, plan_import, run_import
from keybus.importer.mapping import LogMapping, load_mapping, mapping_from_dict
from keybus.importer.progress import Progress, progress_key, progress_topic_name, read_progress
from keybus.importer.readers import EventLog, SourceRow, open_log

__all__ = [
    "EarlierImportError",
    "EventBuilder",
    "EventLog",
    "ImportConflictError",
    "ImportOptions",
    "ImportPlan",
    "ImportResult",
    "ImportStats",
    "LogFormatError",
    "LogMapping",
    "MappingError",
    "MixedTopicError",
    "Progress",
    "Reject",
    "SourceRow",
    "event_id_for_row",
    "load_mapping",
    "mapping_from_dict",
    "open_log",
    "plan_import",
    "progress_key",
    "progress_topic_name",
    "read_progress",
    "run_import",
]
