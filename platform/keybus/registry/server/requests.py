"""Request bodies and path values of the registry API, checked before any work is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keybus.registry.server.errors import ErrorCode
from keybus.registry.server.records import AVRO, SchemaReference
from keybus.types import SchemaId, Subject, Version

__all__ = [
    "LATEST",
    "MAX_INT32",
    "SchemaRequest",
    "parse_bool",
    "parse_schema_id",
    "parse_schema_request",
    "parse_version",
]

MAX_INT32 = 2**31 - 1
LATEST = Version(-1)
"""The version value that stands for the latest version of a subject."""

SUPPORTED_SCHEMA_TYPES = (AVRO,)


@dataclass(frozen=True, slots=True)
class SchemaRequest:
    """The body of a register, look-up or compatibility request."""

    schema_text: str
    schema_type: str
    references: tuple[SchemaReference, ...]
    schema_id: SchemaId | None
    version: Version | None


def parse_schema_request(subject: Subject, body: object) -> SchemaRequest:
    """Check a schema request body, raising 42201 that names the first field at fault."""
    if not isinstance(body, dict):
        raise _invalid(subject, "the body must be a JSON object with a 'schema' string")
    text = body.get("schema")
    if not isinstance(text, str) or not text.strip():
        raise _invalid(subject, "field 'schema' must be a non-empty string of schema JSON")
    schema_type = body.get("schemaType") or AVRO
    if schema_type not in SUPPORTED_SCHEMA_TYPES:
        raise _invalid(
            subject,
            f"schemaType {schema_type!r} is not supported, because this registry supports only "
            f"{', '.join(SUPPORTED_SCHEMA_TYPES)}",
        )
    return SchemaRequest(
        schema_text=text,
        schema_type=str(schema_type),
        references=_parse_references(subject, body.get("references")),
        schema_id=_optional_positive(subject, body, "id"),
        version=_optional_positive(subject, body, "version"),
    )


def _parse_references(subject: Subject, raw: object) -> tuple[SchemaReference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _invalid(subject, "field 'references' must be a list of {name, subject, version}")
    references = []
    for item in raw:
        if not isinstance(item, dict):
            raise _invalid(subject, f"reference {item!r} must be an object")
        name, ref_subject, version = item.get("name"), item.get("subject"), item.get("version")
        if not isinstance(name, str) or not isinstance(ref_subject, str) or not name:
            raise _invalid(subject, f"reference {item!r} needs string 'name' and 'subject'")
        if not isinstance(version, int) or isinstance(version, bool):
            raise _invalid(subject, f"reference {item!r} needs an integer 'version'")
        if not 1 <= version <= MAX_INT32:
            raise _invalid(subject, f"reference {item!r} needs a 'version' from 1 to 2^31-1")
        references.append(SchemaReference(name, Subject(ref_subject), Version(version)))
    return tuple(references)


def _optional_positive(subject: Subject, body: dict[str, Any], field: str) -> Any:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value > MAX_INT32:
        raise _invalid(subject, f"field '{field}' must be an integer from 1 to 2^31-1")
    # Confluent clients send version 0 or -1 and id -1 or 0 to mean "not given".
    return value if value > 0 else None


def _invalid(subject: Subject, detail: str) -> Exception:
    return ErrorCode.INVALID_SCHEMA.error(subject=subject, detail=detail)


def parse_version(raw: str) -> Version:
    """Parse a version path value: `latest`, -1 (latest) or 1 to 2^31-1."""
    if raw == "latest":
        return LATEST
    try:
        value = int(raw)
    except ValueError:
        raise ErrorCode.INVALID_VERSION.error(version=raw) from None
    if value == -1:
        return LATEST
    if not 1 <= value <= MAX_INT32:
        raise ErrorCode.INVALID_VERSION.error(version=raw)
    return Version(value)


def parse_schema_id(raw: str) -> SchemaId:
    """Parse a schema id path value, and raise 40403 for an id that cannot exist."""
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_INT32:
        raise ErrorCode.SCHEMA_NOT_FOUND.error(
            what=repr(raw), detail="A schema id is an integer from 0 to 2^31-1."
        )
    return SchemaId(value)


def parse_bool(raw: str | None, *, default: bool = False) -> bool:
    """Parse a boolean query value as Confluent clients send it (`true`, `True`, `1`)."""
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ErrorCode.MALFORMED_REQUEST.error(
        detail=f"boolean query value {raw!r} must be true or false"
    )
