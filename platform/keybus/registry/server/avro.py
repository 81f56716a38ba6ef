"""The registry's use of keybus.schemas: parse request schemas and check compatibility."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keybus.registry.server.errors import ErrorCode
from keybus.registry.server.records import SchemaReference
from keybus.registry.server.state import RegistryState, StoredSchema
from keybus.schemas import (
    AvroSchema,
    CompatibilityLevel,
    InvalidSchemaError,
    check_compatibility,
    parse_avro,
)
from keybus.types import Subject

__all__ = ["COMPATIBILITY_LEVELS", "ParsedSchema", "SchemaParser", "check_levels"]

COMPATIBILITY_LEVELS = frozenset(level.value for level in CompatibilityLevel)


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """A parsed request schema with the text the registry stores for it."""

    schema: AvroSchema
    text: str
    references: tuple[SchemaReference, ...]


class SchemaParser:
    """Parse schemas, resolving their references against the registry state.

    Parsed stored schemas are cached by schema id: an id is bound to one content forever.
    """

    def __init__(self, state: RegistryState) -> None:
        self._state = state
        self._by_id: dict[tuple[int, bool], AvroSchema] = {}

    def parse_request(
        self,
        subject: Subject,
        text: str,
        references: Sequence[SchemaReference],
        *,
        normalize: bool,
        lenient: bool,
    ) -> ParsedSchema:
        """Parse a schema sent in a request.

        Raises:
            RegistryServiceError: 42201 when the text is not a valid Avro schema or a
                reference names a version that does not exist.
        """
        resolved = self._resolve(subject, references)
        try:
            schema = parse_avro(text, references=resolved, validate_defaults=not lenient)
        except InvalidSchemaError as exc:
            raise ErrorCode.INVALID_SCHEMA.error(subject=subject, detail=exc.message) from exc
        if normalize:
            schema = schema.normalized()
        return ParsedSchema(schema, schema.text, tuple(references))

    def parse_stored(self, stored: StoredSchema, *, normalize: bool = False) -> AvroSchema:
        """Parse a schema already in the store, leniently, since it was accepted once."""
        cache_key = (stored.schema_id, normalize)
        cached = self._by_id.get(cache_key)
        if cached is not None:
            return cached
        resolved = self._resolve(Subject(""), stored.references)
        try:
            schema = parse_avro(stored.schema_text, references=resolved, validate_defaults=False)
        except InvalidSchemaError as exc:
            # Another registry may have written a schema type or text keybus cannot read.
            raise ErrorCode.STORED_SCHEMA_UNREADABLE.error(
                schema_id=stored.schema_id, schema_type=stored.schema_type, detail=exc.message
            ) from exc
        if normalize:
            schema = schema.normalized()
        self._by_id[cache_key] = schema
        return schema

    def _resolve(self, subject: Subject, references: Sequence[SchemaReference]) -> dict[str, str]:
        """Return the texts of the referenced schemas and of what they reference in turn."""
        resolved: dict[str, str] = {}
        pending = list(references)
        seen: set[SchemaReference] = set()
        while pending:
            reference = pending.pop()
            if reference in seen:
                continue
            seen.add(reference)
            row = self._state.subjects.get(reference.subject, {}).get(reference.version)
            if row is None:
                raise ErrorCode.INVALID_SCHEMA.error(
                    subject=subject,
                    detail=(
                        f"reference '{reference.name}' names subject '{reference.subject}' "
                        f"version {reference.version}, which does not exist. Register the "
                        "referenced schema first."
                    ),
                )
            resolved[reference.name] = row.schema.schema_text
            pending.extend(row.schema.references)
        return resolved


def check_levels(
    new: AvroSchema, previous_oldest_first: Sequence[AvroSchema], level: str
) -> list[str]:
    """Return why `new` breaks `level` against the previous versions, or an empty list."""
    return check_compatibility(new, list(previous_oldest_first), CompatibilityLevel(level))
