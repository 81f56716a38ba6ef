"""Read event logs for the tests, with parsers written apart from the importer's.

CSV files are read with `csv.DictReader` and XES files with a SAX handler, so a bug in
the importer's readers cannot hide itself in the expected figures. Timestamps are read
with `datetime.fromisoformat`.
"""

from __future__ import annotations

import csv
import gzip
import statistics
import xml.sax
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.xmlreader import AttributesImpl

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "event-logs"
"""The real event logs, in the folder `../shared/data/event-logs` beside the repository."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VALUE_TAGS = {"string", "date", "int", "float", "boolean", "id"}


@dataclass(frozen=True)
class FileEvent:
    """One event as the test reads it from the file."""

    case_id: str
    activity: str
    at_ms: int
    resource: str | None
    lifecycle: str | None


def epoch_ms(text: str) -> int:
    """Return the UTC epoch milliseconds of an ISO 8601 time with an offset."""
    return (datetime.fromisoformat(text) - _EPOCH) // timedelta(milliseconds=1)


def read_csv_log(path: Path) -> list[FileEvent]:
    """Read a pm4py-style CSV log in file order."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            FileEvent(
                case_id=row["case:concept:name"],
                activity=row["concept:name"],
                at_ms=epoch_ms(row["time:timestamp"]),
                resource=row.get("org:resource") or None,
                lifecycle=row.get("lifecycle:transition") or None,
            )
            for row in csv.DictReader(handle)
        ]


class _XesHandler(xml.sax.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.trace: dict[str, str] = {}
        self.event: dict[str, str] = {}
        self.pending: list[dict[str, str]] = []
        self.events: list[FileEvent] = []

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802 - SAX API
        parent = self.stack[-1] if self.stack else None
        if name in _VALUE_TAGS and "key" in attrs:
            if parent == "event":
                self.event[attrs["key"]] = attrs["value"]
            elif parent == "trace":
                self.trace[attrs["key"]] = attrs["value"]
        elif name == "trace":
            self.trace, self.pending = {}, []
        elif name == "event":
            self.event = {}
        self.stack.append(name)

    def endElement(self, name: str) -> None:  # noqa: N802 - SAX API
        self.stack.pop()
        if name == "event":
            self.pending.append(self.event)
        elif name == "trace":
            for event in self.pending:
                self.events.append(
                    FileEvent(
                        case_id=self.trace["concept:name"],
                        activity=event["concept:name"],
                        at_ms=epoch_ms(event["time:timestamp"]),
                        resource=event.get("org:resource"),
                        lifecycle=event.get("lifecycle:transition"),
                    )
                )


def read_xes_log(path: Path) -> list[FileEvent]:
    """Read an XES log (gzip or plain) in file order with a SAX parser."""
    handler = _XesHandler()
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        xml.sax.parse(handle, handler)
    return handler.events


def read_log(path: Path) -> list[FileEvent]:
    """Read a CSV or XES log by its name."""
    return read_csv_log(path) if ".csv" in path.suffixes else read_xes_log(path)


def slice_xes(source: Path, target: Path, traces: int) -> Path:
    """Write the first `traces` traces of a gzip XES file, with its header, to `target`."""
    kept = 0
    with (
        gzip.open(source, "rt", encoding="utf-8") as reader,
        gzip.open(target, "wt", encoding="utf-8") as writer,
    ):
        for line in reader:
            if "<trace>" in line:
                kept += 1
                if kept > traces:
                    break
            writer.write(line)
        writer.write("</log>\n")
    return target


def case_figures(events: list[FileEvent]) -> dict[str, dict[str, Any]]:
    """Return first/last activity and time, count and duration per case, in file order."""
    figures: dict[str, dict[str, Any]] = {}
    for event in events:
        case = figures.get(event.case_id)
        if case is None:
            figures[event.case_id] = {
                "first_activity": event.activity,
                "first_at_ms": event.at_ms,
                "last_activity": event.activity,
                "last_at_ms": event.at_ms,
                "events": 1,
            }
        else:
            case.update(last_activity=event.activity, last_at_ms=event.at_ms)
            case["events"] += 1
    for case in figures.values():
        case["duration_ms"] = case["last_at_ms"] - case["first_at_ms"]
    return figures


def activity_figures(events: list[FileEvent]) -> dict[str, dict[str, Any]]:
    """Return events, distinct cases and median time to the next event per activity."""
    counts = Counter(event.activity for event in events)
    cases: dict[str, set[str]] = defaultdict(set)
    gaps: dict[str, list[int]] = defaultdict(list)
    previous: dict[str, FileEvent] = {}
    for event in events:
        cases[event.activity].add(event.case_id)
        before = previous.get(event.case_id)
        if before is not None:
            gaps[before.activity].append(event.at_ms - before.at_ms)
        previous[event.case_id] = event
    return {
        activity: {
            "events": counts[activity],
            "cases": len(cases[activity]),
            "median_ms_to_next": statistics.median(gaps[activity]) if gaps[activity] else None,
        }
        for activity in counts
    }
