"""The mapping from event log columns to event fields, with defaults for the XES names."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from keybus.importer.errors import MappingError
from keybus.textfiles import read_problem, yaml_problem

__all__ = [
    "DEFAULT_MISSING_VALUES",
    "LogMapping",
    "field_names",
    "load_mapping",
    "mapping_from_dict",
]

DEFAULT_MISSING_VALUES = ("", "EMPTY")
"""Values read as missing in every column: an empty field, and the `EMPTY` placeholder."""

_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]")
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")


@dataclass(frozen=True)
class LogMapping:
    """Which log columns carry the case, activity, time and attributes of each event.

    Column names are those of the CSV header; in XES, event attributes keep their key
    and trace attributes get the `case:` prefix, as pm4py's CSV export writes them.

    Attributes:
        case: the case id column; it becomes the aggregate id and the record key.
        activity: the activity column; it is the event's `activity`.
        timestamp: the column with the time the event occurred.
        resource: the resource column, or None.
        lifecycle: the lifecycle transition column, or None.
        event_id: a column whose values identify events uniquely, or None to derive
            ids from the file identity and the row number.
        include: attribute columns to keep; None keeps every other column.
        exclude: attribute columns to leave out.
        missing_values: values read as missing in every column.
        column_missing_values: further values read as missing, per column.
        string_columns: attribute columns kept as text whatever their values look like.
        default_offset: UTC offset assumed for timestamps written without one.
        drop_exact_duplicates: reject a row equal in every column to the previous row
            of its case instead of importing it with `duplicate_of_row` set.
        record_name: the Avro full name of the event record.
    """

    case: str = "case:concept:name"
    activity: str = "concept:name"
    timestamp: str = "time:timestamp"
    resource: str | None = "org:resource"
    lifecycle: str | None = "lifecycle:transition"
    event_id: str | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    column_missing_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    string_columns: tuple[str, ...] = ()
    default_offset: str = "+00:00"
    drop_exact_duplicates: bool = False
    record_name: str = "keybus.eventlog.LogEvent"

    def __post_init__(self) -> None:
        if not _OFFSET.match(self.default_offset):
            raise MappingError(
                f"default_offset {self.default_offset!r} is invalid: expected +HH:MM or "
                "-HH:MM, for example +01:00."
            )
        for part in self.record_name.split("."):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
                raise MappingError(
                    f"record_name {self.record_name!r} is not an Avro full name: part "
                    f"{part!r} must start with a letter or _ and hold only letters, digits "
                    "and _. Use a name such as com.example.LoanEvent."
                )

    @property
    def role_columns(self) -> tuple[str, ...]:
        """Return the columns that fill fixed event fields, not attributes."""
        roles = (self.case, self.activity, self.timestamp, self.resource, self.lifecycle)
        return tuple(column for column in roles if column is not None)

    def missing_for(self, column: str) -> frozenset[str]:
        """Return the values read as missing in `column`."""
        extra = self.column_missing_values.get(column, ())
        return frozenset(self.missing_values) | frozenset(extra)

    def attribute_columns(self, columns: Sequence[str]) -> list[str]:
        """Return the columns of `columns` that become attributes, in their order."""
        roles = set(self.role_columns)
        excluded = set(self.exclude)
        if self.include is not None:
            unknown = [column for column in self.include if column not in columns]
            if unknown:
                raise MappingError(
                    f"include names columns the log lacks: {unknown}. The log has: {list(columns)}."
                )
        wanted = columns if self.include is None else self.include
        return [c for c in wanted if c not in roles and c not in excluded]

    def fingerprint(self) -> str:
        """Return a short hash of the mapping, stored with import progress."""
        text = json.dumps(asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def field_names(columns: Sequence[str]) -> dict[str, str]:
    """Map each column to a unique Avro field name.

    Characters outside [A-Za-z0-9_] become `_`, a name starting with a digit gets a
    leading `_`, an empty column name becomes `column_<position>` (0-based), and a
    name that repeats an earlier one gets `_2`, `_3` and so on.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for position, column in enumerate(columns):
        base = _INVALID_NAME_CHARS.sub("_", column) if column else f"column_{position}"
        if base[0].isdigit():
            base = f"_{base}"
        name = base
        suffix = 2
        while name in used:
            name = f"{base}_{suffix}"
            suffix += 1
        used.add(name)
        names[column] = name
    return names


_KEYS = {
    "case",
    "activity",
    "timestamp",
    "resource",
    "lifecycle",
    "event_id",
    "include",
    "exclude",
    "missing_values",
    "column_missing_values",
    "string_columns",
    "default_offset",
    "drop_exact_duplicates",
    "record_name",
}
_TUPLE_KEYS = ("include", "exclude", "missing_values", "string_columns")


def load_mapping(path: Path | str, **overrides: Any) -> LogMapping:
    """Read a mapping from a YAML file; `overrides` that are not None win over the file.

    Raises:
        MappingError: the file cannot be read, is not YAML, is not a mapping, or has
            unknown keys.
    """
    data = _read_yaml(Path(path)) or {}
    if not isinstance(data, dict):
        raise MappingError(
            f"Mapping file {path} must hold a YAML mapping such as 'case: CaseID', not "
            f"{type(data).__name__}."
        )
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise MappingError(
            f"Mapping file {path} has unknown keys {unknown}. Valid keys: {sorted(_KEYS)}."
        )
    for key, value in data.items():
        _check_type(path, key, value)
    data.update({key: value for key, value in overrides.items() if value is not None})
    return mapping_from_dict(data)


def _check_type(path: Path | str, key: str, value: Any) -> None:
    """Raise unless a mapping file's `value` for `key` has the type the key takes."""
    if key in _TUPLE_KEYS:
        valid, expected = isinstance(value, list), "a list of column names or values"
    elif key == "column_missing_values":
        valid, expected = isinstance(value, dict), "a mapping of column to a list of values"
        valid = valid and all(isinstance(items, list) for items in value.values())
    elif key == "drop_exact_duplicates":
        valid, expected = isinstance(value, bool), "true or false"
    else:
        valid, expected = value is None or isinstance(value, str), "one text value"
    if not valid:
        raise MappingError(
            f"Mapping file {path} gives {key} the value {value!r}, but {key} takes "
            f"{expected}. Fix that key in the file."
        )


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            f"Cannot read the mapping file {path}: {read_problem(exc)}. Pass the path of a "
            "UTF-8 YAML file with --mapping."
        ) from exc
    except yaml.YAMLError as exc:
        raise MappingError(
            f"Mapping file {path} is not valid YAML at {yaml_problem(exc)}. Fix the file. A "
            "mapping looks like 'case: CaseID'."
        ) from exc


def mapping_from_dict(data: Mapping[str, Any]) -> LogMapping:
    """Build a mapping from plain values, turning lists into tuples."""
    values = dict(data)
    for key in _TUPLE_KEYS:
        if values.get(key) is not None:
            values[key] = tuple(str(item) for item in values[key])
    if "column_missing_values" in values:
        values["column_missing_values"] = {
            str(column): tuple(str(item) for item in items)
            for column, items in dict(values["column_missing_values"]).items()
        }
    return LogMapping(**values)
