"""Load the event catalog: one `.avsc` per named type, events mapped to topics and aggregates."""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keybus.errors import KeybusError, clause
from keybus.serde.defaults import PRIMITIVE_TYPES
from keybus.serde.naming import SubjectStrategy, topic_record_name_strategy
from keybus.serde.schema import ParsedSchema, parse_schema
from keybus.textfiles import read_problem
from keybus.types import EventType, Subject, TopicName

__all__ = [
    "AGGREGATE_ID_PROPERTY",
    "TOPIC_PROPERTY",
    "Catalog",
    "CatalogError",
    "CatalogEvent",
    "default_catalog_dir",
]

logger = logging.getLogger(__name__)

TOPIC_PROPERTY = "keybus.topic"
"""Schema property that marks a record as an event and names its aggregate's topic."""

AGGREGATE_ID_PROPERTY = "keybus.aggregate_id"
"""Schema property naming the field that holds the aggregate id (the record key)."""

HISTORY_DIR = "history"
_NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})


class CatalogError(KeybusError):
    """A catalog file is missing, unreadable or breaks a catalog rule."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message, retryable=False)
        self.path = path


@dataclass(frozen=True)
class CatalogEvent:
    """One event type of the catalog with its self-contained schema.

    Attributes:
        event_type: the record's full name.
        topic: the topic of its aggregate type.
        aggregate_id_field: the field whose value is the record key.
        schema: the record schema with every referenced named type inlined once.
        path: the `.avsc` file it came from.
        history: older versions of the schema, oldest first.
    """

    event_type: EventType
    topic: TopicName
    aggregate_id_field: str
    schema: dict[str, Any]
    path: Path
    history: tuple[dict[str, Any], ...] = ()

    @property
    def parsed(self) -> ParsedSchema:
        """The schema parsed and checked for fastavro."""
        return parse_schema(self.schema)

    def subject(self, strategy: SubjectStrategy = topic_record_name_strategy) -> Subject:
        """Return the registry subject of this event type under `strategy`."""
        return strategy(self.topic, self.event_type, False)


@dataclass(frozen=True)
class Catalog:
    """The named types and events of an `avro/` folder."""

    root: Path
    types: Mapping[str, dict[str, Any]]
    events: Mapping[EventType, CatalogEvent] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path | str | None = None) -> Catalog:
        """Load and check every `.avsc` under `root` (default: `default_catalog_dir()`).

        Raises:
            CatalogError: the folder is missing or has no .avsc file, a file is not
                valid JSON, its name differs from its full name, a reference is
                unknown, or an event lacks an envelope field.
        """
        folder = Path(root) if root is not None else default_catalog_dir()
        if not folder.is_dir():
            raise CatalogError(
                f"Event catalog folder {folder} does not exist. Pass --catalog or set "
                "KEYBUS_CATALOG_DIR to the folder that holds the .avsc files.",
                path=folder,
            )
        types = {_full_name_of(path, schema): schema for path, schema in _read_folder(folder)}
        if not types:
            raise CatalogError(
                f"Event catalog folder {folder} contains no .avsc files. Pass --catalog or set "
                "KEYBUS_CATALOG_DIR to the folder that holds them.",
                path=folder,
            )
        history = _read_history(folder / HISTORY_DIR)
        events: dict[EventType, CatalogEvent] = {}
        for name, schema in sorted(types.items()):
            if TOPIC_PROPERTY in schema:
                events[EventType(name)] = _event(folder, name, schema, types, history)
        logger.debug("loaded catalog root=%s types=%d events=%d", folder, len(types), len(events))
        return cls(root=folder, types=types, events=events)

    def topics(self) -> dict[TopicName, list[CatalogEvent]]:
        """Group the events by topic."""
        grouped: dict[TopicName, list[CatalogEvent]] = {}
        for event in self.events.values():
            grouped.setdefault(event.topic, []).append(event)
        return grouped

    def __iter__(self) -> Iterator[CatalogEvent]:
        return iter(self.events.values())

    def event(self, event_type: str) -> CatalogEvent:
        """Return the event named `event_type` (full name, or short name if unique)."""
        if event_type in self.events:
            return self.events[EventType(event_type)]
        matches = [e for e in self.events.values() if e.event_type.rpartition(".")[2] == event_type]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(self.events))
        raise CatalogError(f"Event type {event_type!r} is not in the catalog. Known: {known}.")


def default_catalog_dir() -> Path:
    """Return KEYBUS_CATALOG_DIR, else the nearest `avro/` folder above the working directory."""
    configured = os.environ.get("KEYBUS_CATALOG_DIR")
    if configured:
        return Path(configured)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "avro").is_dir():
            return folder / "avro"
    return here / "avro"


def _read_folder(folder: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(folder.glob("*.avsc")):
        yield path, _read_json(path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(
            f"Cannot read schema file {path}: {clause(exc)}. Fix the file.", path=path
        ) from exc
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"Cannot read schema file {path}: {read_problem(exc)}. Save it as UTF-8 JSON.",
            path=path,
        ) from exc
    if not isinstance(loaded, dict) or loaded.get("type") not in _NAMED_KINDS:
        raise CatalogError(
            f"Schema file {path} must hold one named type (record, enum or fixed), "
            f"but holds {str(loaded)[:60]!r}.",
            path=path,
        )
    return loaded


def _full_name_of(path: Path, schema: Mapping[str, Any]) -> str:
    name = str(schema.get("name", ""))
    namespace = schema.get("namespace") or ""
    full = name if "." in name or not namespace else f"{namespace}.{name}"
    if path.name != f"{full}.avsc":
        raise CatalogError(
            f"Schema file {path.name} defines {full}; a catalog file is named after the full "
            f"name of its type. Rename it to {full}.avsc.",
            path=path,
        )
    return full


def _read_history(folder: Path) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    versions: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for path in sorted(folder.glob("*.v*.avsc")) if folder.is_dir() else []:
        stem = path.name.removesuffix(".avsc")
        name, _, version = stem.rpartition(".v")
        if not version.isdigit():
            raise CatalogError(
                f"History file {path.name} must be named <full name>.v<number>.avsc.", path=path
            )
        versions.setdefault(name, []).append((int(version), _read_json(path)))
    return versions


def _event(
    folder: Path,
    name: str,
    schema: dict[str, Any],
    types: Mapping[str, dict[str, Any]],
    history: Mapping[str, list[tuple[int, dict[str, Any]]]],
) -> CatalogEvent:
    path = folder / f"{name}.avsc"
    expanded = _Expander(types, path).expand(schema)
    aggregate_id_field = str(schema.get(AGGREGATE_ID_PROPERTY, ""))
    _check_envelope(expanded, aggregate_id_field, path)
    parse_schema(expanded)
    older = tuple(s for _, s in sorted(history.get(name, []), key=lambda item: item[0]))
    for old in older:
        parse_schema(old)
    return CatalogEvent(
        event_type=EventType(name),
        topic=TopicName(str(schema[TOPIC_PROPERTY])),
        aggregate_id_field=aggregate_id_field,
        schema=expanded,
        path=path,
        history=older,
    )


def _check_envelope(schema: Mapping[str, Any], aggregate_id_field: str, path: Path) -> None:
    fields = {f["name"]: f["type"] for f in schema.get("fields", [])}
    required = {
        "event_id": {"type": "string", "logicalType": "uuid"},
        "occurred_at": {"type": "long", "logicalType": "timestamp-millis"},
        aggregate_id_field: "string",
    }
    for field_name, expected in required.items():
        if fields.get(field_name) != expected:
            raise CatalogError(
                f"Event schema {path.name} needs field '{field_name}' of type "
                f"{json.dumps(expected)}, found {json.dumps(fields.get(field_name))}. Every "
                f"event carries event_id, occurred_at and the aggregate id named by "
                f"'{AGGREGATE_ID_PROPERTY}'.",
                path=path,
            )


class _Expander:
    """Inline each named type an event references at its first use, as one schema."""

    def __init__(self, types: Mapping[str, dict[str, Any]], path: Path) -> None:
        self.types = types
        self.path = path
        self.defined: set[str] = set()

    def expand(self, schema: dict[str, Any]) -> dict[str, Any]:
        expanded: dict[str, Any] = self._node(copy.deepcopy(schema), "")
        return expanded

    def _node(self, node: Any, namespace: str) -> Any:
        if isinstance(node, list):
            return [self._node(branch, namespace) for branch in node]
        if isinstance(node, str):
            return self._reference(node, namespace)
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in _NAMED_KINDS and "name" in node:
            full = _qualify(node["name"], node.get("namespace", namespace) or "")
            self.defined.add(full)
            namespace = full.rpartition(".")[0]
        for field_node in node.get("fields", []):
            field_node["type"] = self._node(field_node["type"], namespace)
        for key in ("items", "values"):
            if key in node:
                node[key] = self._node(node[key], namespace)
        if isinstance(kind, dict | list):
            node["type"] = self._node(kind, namespace)
        return node

    def _reference(self, name: str, namespace: str) -> Any:
        if name in PRIMITIVE_TYPES:
            return name
        full = _qualify(name, namespace)
        if full not in self.defined and full not in self.types and "." not in name:
            full = name
        if full in self.defined:
            return name
        if full not in self.types:
            raise CatalogError(
                f"Schema {self.path.name} references type {name!r} (resolved as {full}), which "
                f"no file in the catalog defines. Add {full}.avsc or fix the reference.",
                path=self.path,
            )
        definition = copy.deepcopy(self.types[full])
        definition.pop(TOPIC_PROPERTY, None)
        definition.pop(AGGREGATE_ID_PROPERTY, None)
        return self._node(definition, namespace)


def _qualify(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"
