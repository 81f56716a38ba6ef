"""Infer an Avro schema for an event log, or read one, and convert log values to its types.

Every event record has fixed fields (ids, case, activity, times, resource, lifecycle)
and an `attributes` record with one field per remaining column. Inference gives each
attribute column the narrowest type that every non-missing value fits. The order is:
boolean (`true`/`false`), long (integers without leading zeros), double (decimal
numbers without leading zeros, so `35.0` stays a double and `007` stays text), date
(date-only values), timestamp-millis (ISO date-times, normalised to UTC), else string.
A column with a missing value on some row is nullable, and a column without any value
is a nullable string.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from keybus.errors import ConfigurationError
from keybus.importer.errors import MappingError
from keybus.importer.mapping import LogMapping, field_names
from keybus.importer.readers import SourceRow
from keybus.importer.timestamps import TimestampError, looks_like_date, parse_timestamp

__all__ = [
    "AttributeColumn",
    "ColumnKind",
    "LogScan",
    "build_schema",
    "columns_from_schema",
    "converter",
    "infer_columns",
    "load_schema",
]

COLUMN_PROPERTY = "keybus.column"
"""Field property naming the log column an attribute field comes from."""

_INTEGER = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_TIMESTAMP_MILLIS = {"type": "long", "logicalType": "timestamp-millis"}
_DATE = {"type": "int", "logicalType": "date"}
_CACHED_VALUES = 4_096


class ColumnKind(StrEnum):
    """The Avro type an attribute column is written as."""

    BOOLEAN = "boolean"
    LONG = "long"
    DOUBLE = "double"
    DATE = "date"
    TIMESTAMP = "timestamp-millis"
    STRING = "string"


_AVRO_TYPES: dict[ColumnKind, Any] = {
    ColumnKind.BOOLEAN: "boolean",
    ColumnKind.LONG: "long",
    ColumnKind.DOUBLE: "double",
    ColumnKind.DATE: _DATE,
    ColumnKind.TIMESTAMP: _TIMESTAMP_MILLIS,
    ColumnKind.STRING: "string",
}


@dataclass(frozen=True)
class AttributeColumn:
    """One attribute column and the field that carries it."""

    column: str
    field: str
    kind: ColumnKind
    nullable: bool


_INFERRED_KINDS = tuple(kind for kind in ColumnKind if kind is not ColumnKind.STRING)


@dataclass
class _Candidates:
    """The kinds every value of one column seen so far still fits."""

    kinds: set[ColumnKind] = field(default_factory=lambda: set(_INFERRED_KINDS))
    present: bool = False
    missing: bool = False

    last: str | None = None

    def observe(self, value: str) -> None:
        self.present = True
        # Case attributes repeat one value on every event of a case, so a value equal to the
        # previous one is not checked again.
        if self.kinds and value != self.last:
            self.kinds &= _kinds_fitting(value)
            self.last = value

    def kind(self) -> ColumnKind:
        if not self.present:
            return ColumnKind.STRING
        for kind in (ColumnKind.BOOLEAN, ColumnKind.LONG, ColumnKind.DOUBLE, ColumnKind.DATE):
            if kind in self.kinds:
                return kind
        if ColumnKind.TIMESTAMP in self.kinds:
            return ColumnKind.TIMESTAMP
        return ColumnKind.STRING


@functools.lru_cache(maxsize=_CACHED_VALUES)
def _kinds_fitting(value: str) -> frozenset[ColumnKind]:
    """Return the kinds `value` fits; cached because case attributes repeat per event."""
    return frozenset(kind for kind in _INFERRED_KINDS if _fits(kind, value))


def _fits(kind: ColumnKind, value: str) -> bool:
    if kind is ColumnKind.BOOLEAN:
        return value in ("true", "false", "True", "False", "TRUE", "FALSE")
    if kind is ColumnKind.LONG:
        return _INTEGER.match(value) is not None and _LONG_MIN <= int(value) <= _LONG_MAX
    if kind is ColumnKind.DOUBLE:
        return _DECIMAL.match(value) is not None and math.isfinite(float(value))
    if not looks_like_date(value):
        return False
    if kind is ColumnKind.DATE and len(value) != 10:
        return False
    try:
        parse_timestamp(value)
    except TimestampError:
        return False
    return True


@dataclass(frozen=True)
class LogScan:
    """The result of a first read of a log: its columns, rows and attribute types."""

    columns: tuple[str, ...]
    rows: int | None
    attributes: tuple[AttributeColumn, ...]


def infer_columns(
    rows: Iterable[SourceRow], mapping: LogMapping, *, infer_rows: int | None = None
) -> LogScan:
    """Read every row once; infer attribute types from the first `infer_rows` rows (all).

    A row the reader could not read (`SourceRow.error`) names its columns but adds no
    value, because the import rejects it and its values would widen the types of the
    rows it publishes.
    """
    seen: dict[str, None] = {}
    candidates: dict[str, _Candidates] = {}
    # Per attribute column: its name, its candidates and its missing values.
    tracked: list[tuple[str, _Candidates, frozenset[str]]] = []
    skipped = set(mapping.role_columns) | set(mapping.exclude)
    count = 0
    readable = 0
    for source in rows:
        count += 1
        values = source.values
        if not seen.keys() >= values.keys():
            for column in values:
                if column not in seen:
                    seen[column] = None
                    if column not in skipped:
                        # A column first seen after readable rows is missing from them.
                        candidates[column] = _Candidates(missing=readable > 0)
                        tracked.append((column, candidates[column], mapping.missing_for(column)))
        if source.error is not None:
            continue
        readable += 1
        if infer_rows is not None and readable > infer_rows:
            continue
        for column, stats, missing in tracked:
            value = values.get(column)
            # The readers give the rows of a case the same string for a case attribute,
            # so most repeats are found by identity, without hashing.
            if value is stats.last and value is not None:
                continue
            if value is None or value in missing:
                stats.missing = True
            else:
                stats.observe(value)
    columns = tuple(seen)
    _check_roles(mapping, columns)
    attribute_names = mapping.attribute_columns(columns)
    names = field_names(attribute_names)
    strings = set(mapping.string_columns)
    attributes = tuple(
        AttributeColumn(
            column=column,
            field=names[column],
            kind=ColumnKind.STRING if column in strings else candidates[column].kind(),
            nullable=candidates[column].missing or not candidates[column].present,
        )
        for column in attribute_names
    )
    return LogScan(columns=columns, rows=count, attributes=attributes)


def _check_roles(mapping: LogMapping, columns: tuple[str, ...]) -> None:
    if not columns:
        return
    required = {"case": mapping.case, "activity": mapping.activity, "timestamp": mapping.timestamp}
    for role, column in required.items():
        if column not in columns:
            raise MappingError(
                f"The {role} column {column!r} is not in the log. The log has columns "
                f"{list(columns)}; name the right one with --{role} or in the mapping file."
            )
    if mapping.event_id is not None and mapping.event_id not in columns:
        raise MappingError(
            f"The event id column {mapping.event_id!r} is not in the log. Use one of "
            f"{list(columns)}, or leave --event-id-column out to derive ids from rows."
        )


def _nullable(avro_type: Any) -> list[Any]:
    return ["null", avro_type]


def build_schema(mapping: LogMapping, attributes: Iterable[AttributeColumn]) -> dict[str, Any]:
    """Return the Avro record schema of the events of a log."""
    namespace, _, name = mapping.record_name.rpartition(".")
    attribute_fields = []
    for attribute in attributes:
        avro_type = _AVRO_TYPES[attribute.kind]
        entry: dict[str, Any] = {"name": attribute.field, COLUMN_PROPERTY: attribute.column}
        if attribute.nullable:
            entry.update(type=_nullable(avro_type), default=None)
        else:
            entry["type"] = avro_type
        attribute_fields.append(entry)
    fields: list[dict[str, Any]] = [
        {"name": "event_id", "type": "string", "doc": "UUID derived from the source row."},
        {"name": "case_id", "type": "string", "doc": "The case: aggregate id and record key."},
        {"name": "activity", "type": "string"},
        {"name": "occurred_at", "type": _TIMESTAMP_MILLIS, "doc": "UTC instant."},
        {
            "name": "utc_offset_minutes",
            "type": _nullable("int"),
            "default": None,
            "doc": "Offset the time was recorded with; null when the log gave none.",
        },
        {"name": "local_date", "type": _DATE, "doc": "Calendar date as recorded."},
        {"name": "sequence", "type": "long", "doc": "Position in the case, from 1."},
        {"name": "source_row", "type": "long", "doc": "Position in the file, from 1."},
        {"name": "resource", "type": _nullable("string"), "default": None},
        {"name": "lifecycle", "type": _nullable("string"), "default": None},
        {
            "name": "duplicate_of_row",
            "type": _nullable("long"),
            "default": None,
            "doc": "Row this event repeats exactly, if it directly follows it in its case.",
        },
        {
            "name": "attributes",
            "type": {"type": "record", "name": f"{name}Attributes", "fields": attribute_fields},
        },
    ]
    schema: dict[str, Any] = {"type": "record", "name": name, "fields": fields}
    if namespace:
        schema["namespace"] = namespace
    return schema


def columns_from_schema(schema: Mapping[str, Any], origin: str) -> tuple[AttributeColumn, ...]:
    """Read the attribute columns of a reviewed schema written by `build_schema`.

    Raises:
        MappingError: the schema lacks the `attributes` record or uses a type outside
            the ones inference writes.
    """
    fields = {entry.get("name"): entry for entry in schema.get("fields", [])}
    record = fields.get("attributes", {}).get("type")
    if not isinstance(record, dict) or record.get("type") != "record":
        raise MappingError(
            f"Schema {origin} has no 'attributes' record field. Start from the schema "
            "that --schema-out writes and edit the attribute fields."
        )
    by_type = {json.dumps(avro, sort_keys=True): kind for kind, avro in _AVRO_TYPES.items()}
    attributes = []
    for entry in record.get("fields", []):
        avro_type = entry["type"]
        nullable = isinstance(avro_type, list) and avro_type[:1] == ["null"]
        base = avro_type[1] if nullable and len(avro_type) == 2 else avro_type
        kind = by_type.get(json.dumps(base, sort_keys=True))
        if kind is None:
            raise MappingError(
                f"Schema {origin}: attribute field {entry['name']!r} has type {avro_type}; "
                "use boolean, long, double, string, date or timestamp-millis, optionally "
                "as a union with null first."
            )
        column = entry.get(COLUMN_PROPERTY, entry["name"])
        attributes.append(AttributeColumn(column, entry["name"], kind, nullable))
    return tuple(attributes)


def load_schema(path: Path | str) -> dict[str, Any]:
    """Read a schema file written by `--schema-out` and possibly edited.

    Raises:
        ConfigurationError: the file cannot be read or is not a JSON object.
    """
    try:
        loaded = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigurationError(f"Cannot read the schema file {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"Schema file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
            f"offset {exc.start}). Write it again with --schema-out."
        ) from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"Schema file {path} is not valid JSON at line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}. Fix the file, or write it again with --schema-out."
        ) from exc
    if not isinstance(loaded, dict):
        raise ConfigurationError(
            f"Schema file {path} contains a JSON {type(loaded).__name__}, not an Avro record "
            "schema object. Write it again with --schema-out."
        )
    return loaded


def converter(kind: ColumnKind, zone: timezone) -> Callable[[str], Any]:
    """Return the function turning a log value into the Avro value of `kind`.

    The function raises ValueError with a message naming the expected type.
    """
    if kind is ColumnKind.STRING:
        return str
    if kind is ColumnKind.BOOLEAN:
        return _to_boolean
    # Case attributes repeat one value on every event of the case, so converted values
    # are cached per distinct text.
    if kind is ColumnKind.LONG:
        return functools.lru_cache(maxsize=_CACHED_VALUES)(_to_long)
    if kind is ColumnKind.DOUBLE:
        return functools.lru_cache(maxsize=_CACHED_VALUES)(_to_double)
    if kind is ColumnKind.DATE:
        return functools.lru_cache(maxsize=_CACHED_VALUES)(lambda value: _to_date(value, zone))
    return functools.lru_cache(maxsize=_CACHED_VALUES)(lambda value: _to_timestamp(value, zone))


def _to_boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"{value!r} is not a boolean (true or false)")
    return lowered == "true"


def _to_long(value: str) -> int:
    if _INTEGER.match(value) is None or not _LONG_MIN <= int(value) <= _LONG_MAX:
        raise ValueError(f"{value!r} is not a 64-bit integer written without leading zeros")
    return int(value)


def _to_double(value: str) -> float:
    if _DECIMAL.match(value) is None or not math.isfinite(float(value)):
        raise ValueError(f"{value!r} is not a finite decimal number without leading zeros")
    return float(value)


def _to_date(value: str, zone: timezone) -> int:
    if len(value) != 10:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        return parse_timestamp(value, zone).local_days
    except TimestampError as exc:
        raise ValueError(str(exc)) from None


def _to_timestamp(value: str, zone: timezone) -> int:
    try:
        return parse_timestamp(value, zone).epoch_ms
    except TimestampError as exc:
        raise ValueError(str(exc)) from None
