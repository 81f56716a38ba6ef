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
from keybus.importer.schema import AttributeColumn, ColumnKind, converter
from keybus.importer.timestamps import TimestampError, parse_offset, parse_timestamp_fields

__all__ = [
    "EVENT_FIELDS",
    "EVENT_ID_NAMESPACE",
    "EventBuilder",
    "EventFields",
    "ImportStats",
    "Reject",
    "event_id_for_row",
]

EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:keybus:import")
"""UUID 5 namespace of the event ids the importer derives."""

EVENT_FIELDS = (
    "event_id",
    "case_id",
    "activity",
    "occurred_at",
    "utc_offset_minutes",
    "local_date",
    "sequence",
    "source_row",
    "resource",
    "lifecycle",
    "duplicate_of_row",
    "attributes",
)
"""The fields of an event value, in the order of the schema `build_schema` writes."""

EventFields = tuple[
    str,
    str,
    str,
    int,
    int | None,
    int,
    int,
    int,
    str | None,
    str | None,
    int | None,
    dict[str, Any],
]
"""The values of `EVENT_FIELDS` in that order, as a tuple because it is cheaper to build."""

_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes
_VARIANT_DIGITS = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def event_id_for_row(file_sha256: str, row: int) -> str:
    """Return the event id of row `row` of the file with SHA-256 `file_sha256`."""
    return _uuid5(f"{file_sha256}:{row}")


def _uuid5(name: str) -> str:
    """Return `str(uuid.uuid5(EVENT_ID_NAMESPACE, name))`, without building UUID objects."""
    return _uuid_text(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).hexdigest())


def _uuid_text(sha1_hex: str) -> str:
    """Return the UUID 5 text of a SHA-1 digest of namespace and name, given in hex.

    RFC 4122 sets the version nibble (digit 12) to 5 and the top two bits of digit 16
    to the variant 10, which maps that digit to one of 8, 9, a and b.
    """
    return (
        f"{sha1_hex[:8]}-{sha1_hex[8:12]}-5{sha1_hex[13:16]}-"
        f"{_VARIANT_DIGITS[sha1_hex[16]]}{sha1_hex[17:20]}-{sha1_hex[20:32]}"
    )


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


class EventBuilder:
    """Build event values from rows in file order, with one instance per import run.

    `build_fields` runs once per row of an import, so it reads the mapping's columns
    from attributes set here, keeps per-case state in lists and returns a tuple.
    """

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
                None if a.kind is ColumnKind.STRING else converter(a.kind, self._zone),
                mapping.missing_for(a.column),
            )
            for a in attributes
        ]
        self._attribute_columns = [a.column for a in attributes]
        self._last_texts: list[str | None] | None = None
        self._last_attributes: dict[str, Any] = {}
        self._known = {a.column for a in attributes} | set(mapping.role_columns)
        self._known |= set(mapping.exclude)
        if mapping.event_id is not None:
            self._known.add(mapping.event_id)
        self._missing = {
            column: mapping.missing_for(column)
            for column in [*self._known, *mapping.exclude, *(mapping.column_missing_values)]
        }
        self._default_missing = frozenset(mapping.missing_values)
        self._case_missing = self._missing[mapping.case]
        self._activity_missing = self._missing[mapping.activity]
        self._time_missing = self._missing[mapping.timestamp]
        self._row_id_hash = hashlib.sha1(_NAMESPACE_BYTES + f"{file_sha256}:".encode())
        # Per case: [sequence, values of the last row, last row number, last time in ms].
        self._cases: dict[str, list[Any]] = {}
        self._source_ids: dict[str, int] = {}

    def build(self, source: SourceRow) -> dict[str, Any] | Reject:
        """Return the event value of `source`, or why it cannot be published."""
        fields = self.build_fields(source)
        if isinstance(fields, Reject):
            return fields
        event: dict[str, Any] = dict(zip(EVENT_FIELDS, fields, strict=True))
        # `build_fields` may give consecutive events one attributes dict, but each event
        # value gets its own.
        event["attributes"] = dict(fields[-1])
        return event

    def build_fields(self, source: SourceRow) -> EventFields | Reject:
        """Return the fields of the event value of `source` in schema order, or a reject.

        Consecutive events whose attributes are equal get the same attributes dict, so
        callers must not change it.
        """
        self.stats.rows += 1
        try:
            fields = self._build(source)
        except _RowRejectedError as exc:
            self.stats.rejects += 1
            return Reject(source.row, exc.case_id, exc.reason, source.values)
        self.stats.events += 1
        return fields

    def _count_missing(self, column: str, value: str) -> None:
        self.stats.missing_by_column[column] += 1
        if value:
            self.stats.placeholders_by_column[column] += 1

    def _build(self, source: SourceRow) -> EventFields:
        values = source.values
        mapping = self.mapping
        case_id = values.get(mapping.case)
        if case_id is not None and case_id in self._case_missing:
            self._count_missing(mapping.case, case_id)
            case_id = None
        if source.error is not None:
            raise _RowRejectedError(case_id, f"{source.error}; the row is not a complete event")
        if case_id is None:
            raise _RowRejectedError(None, f"case id column {mapping.case!r} is missing")
        activity = values.get(mapping.activity)
        if activity is not None and activity in self._activity_missing:
            self._count_missing(mapping.activity, activity)
            activity = None
        if activity is None:
            raise _RowRejectedError(case_id, f"activity column {mapping.activity!r} is missing")
        text = values.get(mapping.timestamp)
        if text is not None and text in self._time_missing:
            self._count_missing(mapping.timestamp, text)
            text = None
        if text is None:
            raise _RowRejectedError(case_id, f"timestamp column {mapping.timestamp!r} is missing")
        epoch_ms, offset_minutes, local_days = self._time(text, case_id)
        if mapping.event_id is None:
            digest = self._row_id_hash.copy()
            digest.update(b"%d" % source.row)
            event_id = _uuid_text(digest.hexdigest())
        else:
            event_id = self._event_id_from_column(source, case_id)
        attributes = self._convert_attributes(values, case_id)
        sequence, duplicate_of = self._place_in_case(source, case_id, epoch_ms)
        return (
            event_id,
            case_id,
            activity,
            epoch_ms,
            offset_minutes,
            local_days,
            sequence,
            source.row,
            self._optional(values, mapping.resource),
            self._optional(values, mapping.lifecycle),
            duplicate_of,
            attributes,
        )

    def _optional(self, values: dict[str, str], column: str | None) -> str | None:
        if column is None:
            return None
        value = values.get(column)
        if value is not None and value in self._missing[column]:
            self._count_missing(column, value)
            return None
        return value

    def _time(self, text: str, case_id: str) -> tuple[int, int | None, int]:
        try:
            epoch_ms, offset_minutes, local_days, sub_millisecond, date_only = (
                parse_timestamp_fields(text, self._zone)
            )
        except TimestampError as exc:
            column = self.mapping.timestamp
            raise _RowRejectedError(case_id, f"timestamp column {column!r}: {exc}") from None
        stats = self.stats
        if sub_millisecond:
            stats.sub_millisecond_cut += 1
        if offset_minutes is None:
            stats.assumed_offset += 1
        if date_only:
            stats.date_only += 1
        return epoch_ms, offset_minutes, local_days

    def _event_id_from_column(self, source: SourceRow, case_id: str) -> str:
        column: str = self.mapping.event_id  # type: ignore[assignment]
        value = source.values.get(column)
        if value is not None and value in self._missing[column]:
            self._count_missing(column, value)
            value = None
        if value is None:
            raise _RowRejectedError(case_id, f"event id column {column!r} is missing")
        first = self._source_ids.setdefault(value, source.row)
        if first != source.row:
            raise _RowRejectedError(
                case_id, f"event id {value!r} in column {column!r} repeats row {first}"
            )
        return _uuid5(f"id:{value}")

    def _convert_attributes(self, values: dict[str, str], case_id: str) -> dict[str, Any]:
        if not self._known.issuperset(values):
            self._reject_unknown(values, case_id)
        texts = [values.get(column) for column in self._attribute_columns]
        # Rows of one case repeat its case attributes, so when a row's texts equal the
        # previous row's and those had no missing value to count, the dict built then is
        # returned again. The record encoder also reuses its bytes.
        if texts == self._last_texts:
            return self._last_attributes
        attributes, counted_missing = self._convert(texts, case_id)
        self._last_texts = None if counted_missing else texts
        self._last_attributes = attributes
        return attributes

    def _convert(self, texts: list[str | None], case_id: str) -> tuple[dict[str, Any], bool]:
        """Return the attribute values of `texts` and whether a missing value was counted."""
        attributes: dict[str, Any] = {}
        counted_missing = False
        for text, (column, name, kind, nullable, convert, missing) in zip(
            texts, self._attributes, strict=True
        ):
            if text is not None and text not in missing:
                try:
                    attributes[name] = text if convert is None else convert(text)
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
                counted_missing = True
            if not nullable:
                raise _RowRejectedError(
                    case_id,
                    f"field attributes.{name} (column {column!r}) is missing, but the "
                    f"schema requires a {kind}; make the field nullable in the schema",
                )
            attributes[name] = None
        return attributes, counted_missing

    def _reject_unknown(self, values: dict[str, str], case_id: str) -> None:
        unknown = []
        for column, value in values.items():
            if column in self._known:
                continue
            if value in self._missing.get(column, self._default_missing):
                self._count_missing(column, value)
            elif value:
                unknown.append(column)
        if unknown:
            raise _RowRejectedError(
                case_id,
                f"columns {unknown} have values but are not in the schema; add them to "
                "the schema or list them under exclude in the mapping",
            )

    def _place_in_case(
        self, source: SourceRow, case_id: str, epoch_ms: int
    ) -> tuple[int, int | None]:
        """Return the event's sequence in its case and the row it repeats exactly, if any."""
        state = self._cases.get(case_id)
        if state is None:
            state = self._cases[case_id] = [0, None, 0, None]
        sequence, last_values, last_row, last_ms = state
        duplicate_of = None
        if last_values == source.values:
            duplicate_of = last_row
            self.stats.exact_duplicates += 1
            if self.mapping.drop_exact_duplicates:
                raise _RowRejectedError(case_id, f"exact duplicate of row {last_row}")
        if last_ms is not None:
            if epoch_ms == last_ms:
                self.stats.equal_times_in_case += 1
            elif epoch_ms < last_ms:
                self.stats.earlier_times_in_case += 1
        sequence += 1
        state[:] = sequence, source.values, source.row, epoch_ms
        return sequence, duplicate_of


class _RowRejectedError(Exception):
    def __init__(self, case_id: str | None, reason: str) -> None:
        super().__init__(reason)
        self.case_id = case_id
        self.reason = reason
