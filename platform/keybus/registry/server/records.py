"""Keys and values of the `_schemas` topic, in the JSON format of Confluent's registry."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from keybus.errors import KeybusError
from keybus.types import SchemaId, Subject, Version

__all__ = [
    "AVRO",
    "ConfigRecord",
    "DeleteSubjectRecord",
    "ModeRecord",
    "NoopRecord",
    "RecordFormatError",
    "SchemaRecord",
    "SchemaReference",
    "StoreRecord",
    "decode_record",
    "encode_record",
]

logger = logging.getLogger(__name__)

AVRO = "AVRO"
"""The schema type Confluent assumes when a record or request names none."""


class RecordFormatError(KeybusError):
    """A record of the schemas topic is not in the Confluent registry format."""


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named reference from one schema to a version of another subject."""

    name: str
    subject: Subject
    version: Version

    def to_json(self) -> dict[str, Any]:
        """Return the reference as Confluent writes it in records and responses."""
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class SchemaRecord:
    """One version of a subject, or with `schema_text` None a tombstone (permanent delete)."""

    subject: Subject
    version: Version
    schema_id: SchemaId = 0  # type: ignore[assignment]
    schema_text: str | None = None
    schema_type: str = AVRO
    references: tuple[SchemaReference, ...] = ()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    """The compatibility level of one subject, or the global one when `subject` is None."""

    subject: Subject | None
    compatibility_level: str | None


@dataclass(frozen=True, slots=True)
class ModeRecord:
    """The mode of one subject, or the global one when `subject` is None."""

    subject: Subject | None
    mode: str | None


@dataclass(frozen=True, slots=True)
class DeleteSubjectRecord:
    """A soft delete of every version of `subject` up to and including `version`."""

    subject: Subject
    version: Version


@dataclass(frozen=True, slots=True)
class NoopRecord:
    """A record that changes nothing, which other registries write to find the log end."""


StoreRecord = SchemaRecord | ConfigRecord | ModeRecord | DeleteSubjectRecord | NoopRecord


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def encode_record(record: StoreRecord) -> tuple[bytes, bytes | None]:
    """Encode a record as the key and value bytes that Confluent's registry writes."""
    if isinstance(record, SchemaRecord):
        key = {"keytype": "SCHEMA", "subject": record.subject, "version": record.version}
        return _dumps({**key, "magic": 1}), _encode_schema_value(record)
    if isinstance(record, ConfigRecord):
        key = {"keytype": "CONFIG", "subject": record.subject, "magic": 0}
        level = record.compatibility_level
        return _dumps(key), None if level is None else _dumps({"compatibilityLevel": level})
    if isinstance(record, ModeRecord):
        key = {"keytype": "MODE", "subject": record.subject, "magic": 0}
        return _dumps(key), None if record.mode is None else _dumps({"mode": record.mode})
    if isinstance(record, DeleteSubjectRecord):
        key = {"keytype": "DELETE_SUBJECT", "subject": record.subject, "magic": 0}
        return _dumps(key), _dumps({"subject": record.subject, "version": record.version})
    return _dumps({"keytype": "NOOP", "magic": 0}), None


def _encode_schema_value(record: SchemaRecord) -> bytes | None:
    if record.schema_text is None:
        return None
    value: dict[str, Any] = {
        "subject": record.subject,
        "version": record.version,
        "id": record.schema_id,
    }
    if record.schema_type != AVRO:
        value["schemaType"] = record.schema_type
    if record.references:
        value["references"] = [reference.to_json() for reference in record.references]
    value["schema"] = record.schema_text
    value["deleted"] = record.deleted
    return _dumps(value)


def decode_record(key: bytes, value: bytes | None) -> StoreRecord | None:
    """Decode one record of the schemas topic, or return None for key types keybus skips.

    Raises:
        RecordFormatError: the key or value is not JSON of the expected shape.
    """
    key_document = _loads_object(key, "key")
    key_type = key_document.get("keytype")
    value_document = None if value is None else _loads_object(value, f"{key_type} value")
    try:
        return _decode_typed(key_type, key_document, value_document)
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordFormatError(
            f"Record with key {key!r} has a {key_type} value of the wrong shape ({exc!r}). "
            "the schemas topic must contain only Confluent registry records."
        ) from exc


def _decode_typed(
    key_type: object, key: dict[str, Any], value: dict[str, Any] | None
) -> StoreRecord | None:
    subject = key.get("subject")
    if key_type == "SCHEMA":
        return _decode_schema(Subject(str(subject)), Version(int(key["version"])), value)
    if key_type == "CONFIG":
        level = None if value is None else str(value["compatibilityLevel"]).upper()
        return ConfigRecord(_optional_subject(subject), level)
    if key_type == "MODE":
        mode = None if value is None else str(value["mode"]).upper()
        return ModeRecord(_optional_subject(subject), mode)
    if key_type == "DELETE_SUBJECT":
        if value is None:
            return NoopRecord()
        return DeleteSubjectRecord(Subject(str(value["subject"])), Version(int(value["version"])))
    if key_type == "NOOP":
        return NoopRecord()
    logger.debug("Skipping schemas record of key type %s", key_type)
    return None


def _decode_schema(
    subject: Subject, version: Version, value: dict[str, Any] | None
) -> SchemaRecord:
    if value is None:
        return SchemaRecord(subject=subject, version=version)
    references = tuple(
        SchemaReference(
            str(item["name"]), Subject(str(item["subject"])), Version(int(item["version"]))
        )
        for item in value.get("references") or ()
    )
    return SchemaRecord(
        subject=subject,
        version=version,
        schema_id=SchemaId(int(value["id"])),
        schema_text=str(value["schema"]),
        schema_type=str(value.get("schemaType") or AVRO),
        references=references,
        deleted=bool(value.get("deleted", False)),
    )


def _optional_subject(subject: object) -> Subject | None:
    return None if subject is None else Subject(str(subject))


def _loads_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordFormatError(
            f"Record {what} {raw[:80]!r} is not JSON. The schemas topic must contain only "
            "Confluent registry records."
        ) from exc
    if not isinstance(document, dict):
        raise RecordFormatError(f"Record {what} {raw[:80]!r} is not a JSON object.")
    return document
