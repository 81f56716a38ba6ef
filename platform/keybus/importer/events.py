"""Turn source rows into event values: ids, per-case order, typed attributes and rejects.

Rules for what real logs contain:

- Missing values: an absent column, an empty field and the mapping's placeholders
  (`EMPTY` by default) become null and are counted per column. Other placeholders,
  such as `NIL` meaning "not dismissed", are kept as written unless the mapping lists
  them for their column.
- Order: events keep file order within their case. A time earlier than the previous
  event of the case is kept in place and counted, never re-sorted.
- Exact duplicates: a row equal in every column to the previous row of its case is a
  separate recorded event; it is imported with `duplicate_of_row` set, or rejected when
  the mapping sets `drop_exact_duplicates`.
- Identity: `event_id` is a UUID 5 of the file's SHA-256 and the row number, or of the
  value of the mapping's event id column; a repeated id value is a reject.
- Lifecycle: start, complete and schedule transitions are separate events, imported
  as recorded even when they do not pair up.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from keybus.importer.mapping import LogMapping
from keybus.importer.readers import SourceRow
from keybus.importer.schema import AttributeColumn, converter
from keybus.importer.timestamps import TimestampError, parse_offset, parse_timestamp

__all__ = ["EVENT_ID_NAMESPACE", "EventBuilder", "ImportStats", "Reject", "event_id_for_row"]

EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:keybus:import")
"""UUID 5 namespace of the event ids the importer derives."""

_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def event_id_for_row(file_sha256: str, row: int) -> str:
    """Return the event id of row `row` of the file with SHA-256 `file_sha256`."""
    return _uuid5(f"{file_sha256}:{row}")


def _uuid5(name: str) -> str:
    """Return `str(uuid.uuid5(EVENT_ID_NAMESPACE, name))`, without building UUID objects."""
    return _uuid_text(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest())


def _uuid_text(sha1_digest: bytes) -> str:
    """Return the UUID 5 text of a SHA-1 digest of namespace and name."""
    digest = bytearray(sha1_digest[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that was not published, with the reason."""

    row: int
    case_id: str | None
    reason: str
    values: dict[str, str]


@dataclass
class ImportStats:
    """Counts of every rule the importer applied, shown in its summary."""

    rows: int = 0
    events: int = 0
    rejects: int = 0
    missing_by_column: Counter[str] = field(default_factory=Counter)
    placeholders_by_column: Counter[str] = field(default_factory=Counter)
    exact_duplicates: int = 0
    equal_times_in_case: int = 0
    earlier_times_in_case: int = 0
    sub_millisecond_cut: int = 0
    assumed_offset: int = 0
    date_only: int = 0


@dataclass
class _CaseState:
    sequence: int = 0
    last_values: dict[str, str] | None = None
    last_row: int = 0
    last_ms: int | None = None


class EventBuilder:
    """Build event values from rows in file order; one instance per import run."""

    def __init__(
        self, mapping: LogMapping, attributes: Sequence[AttributeColumn], file_sha256: str
    ) -> None:
        self.mapping = mapping
        self.file_sha256 = file_sha256
        self.stats = ImportStats()
        self._zone = parse_offset(mapping.default_offset)
        self._attributes = [
            (
                a.column,
                a.field,
                a.kind.value,
                a.nullable,
                converter(a.kind, self._zone),
                mapping.missing_for(a.column),
            )
            for a in attributes
        ]
        self._known = {a.column for a in attributes} | set(mapping.role_columns)
        self._known |= set(mapping.exclude)
        if mapping.event_id is not None:
            self._known.add(mapping.event_id)
        self._missing = {
            column: mapping.missing_for(column)
            for column in [*self._known, *mapping.exclude, *(mapping.column_missing_values)]
        }
        self._default_missing = frozenset(mapping.missing_values)
        self._case_column = mapping.case
        self._case_missing = self._missing[mapping.case]
        self._row_id_hash = hashlib.sha1(_NAMESPACE_BYTES + f"{file_sha256}:".encode())
        self._cases: dict[str, _CaseState] = {}
        self._source_ids: dict[str, int] = {}

    def build(self, source: SourceRow) -> dict[str, Any] | Reject:
        """Return the event value of `source`, or why it cannot be published."""
        self.stats.rows += 1
        try:
            event = self._build(source)
        except _RowRejectedError as exc:
            self.stats.rejects += 1
            return Reject(source.row, exc.case_id, exc.reason, source.values)
        self.stats.events += 1
        return event

    def _value(self, source: SourceRow, column: str | None) -> str | None:
        if column is None:
            return None
        value = source.values.get(column)
        if value is None or value not in self._missing.get(column, self._default_missing):
            return value
        self._count_missing(column, value)
        return None

    def _count_missing(self, column: str, value: str) -> None:
        self.stats.missing_by_column[column] += 1
        if value:
            self.stats.placeholders_by_column[column] += 1

    def _build(self, source: SourceRow) -> dict[str, Any]:
        mapping = self.mapping
        case_id = source.values.get(self._case_column)
        if case_id is not None and case_id in self._case_missing:
            self._count_missing(self._case_column, case_id)
            case_id = None
        if source.error is not None:
            raise _RowRejectedError(case_id, f"{source.error}; the row is not a complete event")
        if case_id is None:
            raise _RowRejectedError(None, f"case id column {mapping.case!r} is missing")
        activity = self._value(source, mapping.activity)
        if activity is None:
            raise _RowRejectedError(case_id, f"activity column {mapping.activity!r} is missing")
        time = self._time(source, case_id)
        event_id = self._event_id(source, case_id)
        attributes = self._convert_attributes(source, case_id)
        duplicate_of = self._place_in_case(source, case_id, time.epoch_ms)
        return {
            "event_id": event_id,
            "case_id": case_id,
            "activity": activity,
            "occurred_at": time.epoch_ms,
            "utc_offset_minutes": time.offset_minutes,
            "local_date": time.local_days,
            "sequence": self._cases[case_id].sequence,
            "source_row": source.row,
            "resource": self._value(source, mapping.resource),
            "lifecycle": self._value(source, mapping.lifecycle),
            "duplicate_of_row": duplicate_of,
            "attributes": attributes,
        }

    def _time(self, source: SourceRow, case_id: str) -> Any:
        column = self.mapping.timestamp
        text = self._value(source, column)
        if text is None:
            raise _RowRejectedError(case_id, f"timestamp column {column!r} is missing")
        try:
            time = parse_timestamp(text, self._zone)
        except TimestampError as exc:
            raise _RowRejectedError(case_id, f"timestamp column {column!r}: {exc}") from None
        self.stats.sub_millisecond_cut += time.sub_millisecond
        self.stats.assumed_offset += time.offset_minutes is None
        self.stats.date_only += time.date_only
        return time

    def _event_id(self, source: SourceRow, case_id: str) -> str:
        column = self.mapping.event_id
        if column is None:
            digest = self._row_id_hash.copy()
            digest.update(b"%d" % source.row)
            return _uuid_text(digest.digest())
        value = self._value(source, column)
        if value is None:
            raise _RowRejectedError(case_id, f"event id column {column!r} is missing")
        first = self._source_ids.setdefault(value, source.row)
        if first != source.row:
            raise _RowRejectedError(
                case_id, f"event id {value!r} in column {column!r} repeats row {first}"
            )
        return _uuid5(f"id:{value}")

    def _convert_attributes(self, source: SourceRow, case_id: str) -> dict[str, Any]:
        unknown = []
        if not self._known.issuperset(source.values):
            unknown = [c for c in source.values if c not in self._known and self._value(source, c)]
        if unknown:
            raise _RowRejectedError(
                case_id,
                f"columns {unknown} have values but are not in the schema; add them to "
                "the schema or list them under exclude in the mapping",
            )
        attributes: dict[str, Any] = {}
        values = source.values
        for column, name, kind, nullable, convert, missing in self._attributes:
            text = values.get(column)
            if text is not None and text not in missing:
                try:
                    attributes[name] = convert(text)
                except ValueError as exc:
                    raise _RowRejectedError(
                        case_id,
                        f"field attributes.{name} (column {column!r}): {exc}, but the schema "
                        f"requires a {kind}; fix the value, or make the column text with "
                        "--string-column",
                    ) from None
                continue
            if text is not None:
                self._count_missing(column, text)
            if not nullable:
                raise _RowRejectedError(
                    case_id,
                    f"field attributes.{name} (column {column!r}) is missing, but the "
                    f"schema requires a {kind}; make the field nullable in the schema",
                )
            attributes[name] = None
        return attributes

    def _place_in_case(self, source: SourceRow, case_id: str, epoch_ms: int) -> int | None:
        state = self._cases.get(case_id)
        if state is None:
            state = self._cases[case_id] = _CaseState()
        duplicate_of = None
        if state.last_values == source.values:
            duplicate_of = state.last_row
            self.stats.exact_duplicates += 1
            if self.mapping.drop_exact_duplicates:
                raise _RowRejectedError(case_id, f"exact duplicate of row {state.last_row}")
        if state.last_ms is not None:
            self.stats.equal_times_in_case += epoch_ms == state.last_ms
            self.stats.earlier_times_in_case += epoch_ms < state.last_ms
        state.sequence += 1
        state.last_values = source.values
        state.last_row = source.row
        state.last_ms = epoch_ms
        return duplicate_of


class _RowRejectedError(Exception):
    def __init__(self, case_id: str | None, reason: str) -> None:
        super().__init__(reason)
        self.case_id = case_id
        self.reason = reason
