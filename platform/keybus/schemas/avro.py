"""Avro schemas as the registry stores them: parsed, validated, canonical text and fingerprint."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from keybus.schemas.attributes import load_json
from keybus.schemas.canonical import write_schema
from keybus.schemas.errors import InvalidSchemaError
from keybus.schemas.model import NamedNode, SchemaNode
from keybus.schemas.parser import SchemaParser

__all__ = [
    "AvroSchema",
    "ParsedAvro",
    "Reference",
    "parse_avro",
]

logger = logging.getLogger(__name__)

PARSE_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Reference:
    """A schema reference: the named type `name` is defined by `subject` at `version`."""

    name: str
    subject: str
    version: int


@dataclass(frozen=True, eq=False)
class ParsedAvro:
    """The schema tree of one schema and the full names it takes from its references."""

    root: SchemaNode
    referenced_names: frozenset[str]


@dataclass(frozen=True)
class AvroSchema:
    """One Avro schema, parsed and validated.

    Attributes:
        text: The canonical text, as Avro Java's `Schema.toString` writes it and as a
            Confluent registry stores and returns it: `{"type": "string"}` is `"string"`,
            attributes come in a fixed order, custom properties keep their written order.
        parsed: A `ParsedAvro` with the schema tree the compatibility checker walks.
        name: The full name of the top-level named type, or None for other schemas.
        references: The schema references this schema was registered with.
    """

    text: str
    parsed: object = field(compare=False, repr=False)
    name: str | None = None
    references: tuple[Reference, ...] = ()

    def fingerprint(self) -> str:
        """Return a SHA-256 hex digest that is equal for equivalent spellings of a schema.

        Spellings get the same fingerprint when they differ only in whitespace, in the
        order of the Avro attributes, in `{"type": "string"}` against `"string"`, or in a
        dotted name against a name plus namespace. Custom properties in another order give
        another fingerprint, because a Confluent registry without `normalize=true` treats
        them as another schema. Compare `normalized().fingerprint()` to ignore their order.
        """
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for reference in self.references:
            digest.update(f"\n{reference.name}\n{reference.subject}\n{reference.version}".encode())
        return digest.hexdigest()

    def normalized(self) -> AvroSchema:
        """Return the schema as a Confluent registry stores it with `normalize=true`.

        Custom properties, and the members of JSON objects inside them and inside field
        defaults, are sorted by key. Named types are referred to by full name, and schema
        references are sorted by name, subject and version. Field order, union branch order
        and enum symbol order are kept, because each changes the binary encoding or the
        resolution of defaults.
        """
        parsed = self.parsed
        if not isinstance(parsed, ParsedAvro):
            raise TypeError(f"AvroSchema.parsed is {type(parsed).__name__}, not ParsedAvro")
        text = write_schema(parsed.root, parsed.referenced_names, normalize=True)
        references = tuple(
            sorted(self.references, key=lambda item: (item.name, item.subject, item.version))
        )
        return replace(self, text=text, references=references)


def parse_avro(
    text: str,
    references: Mapping[str, str] | None = None,
    *,
    validate_defaults: bool = True,
) -> AvroSchema:
    """Parse and validate an Avro schema text.

    Args:
        text: The schema JSON.
        references: The text of each referenced schema, by the full name of the type it
            defines, already resolved by the caller. A referenced text may use types from
            the other referenced texts, in any order.
        validate_defaults: Reject field defaults that do not match their type. A registry
            in IMPORT mode passes False to accept what another registry stored.

    Raises:
        InvalidSchemaError: The text or a referenced text is not a valid Avro schema. The
            message names the place, the rule broken and the fix.
    """
    reference_items = tuple(references.items()) if references else ()
    try:
        return _parse_cached(text, reference_items, validate_defaults)
    except RecursionError as exc:
        raise InvalidSchemaError(
            "Invalid schema: types are nested too deeply to parse. Nest fewer arrays, maps, "
            "unions and records inside each other, or name and reuse inner types."
        ) from exc


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_cached(
    text: str, reference_items: tuple[tuple[str, str], ...], validate_defaults: bool
) -> AvroSchema:
    names: dict[str, NamedNode] = {}
    _parse_references(reference_items, names, validate_defaults)
    referenced_names = frozenset(names)
    root = SchemaParser(names, validate_defaults=validate_defaults).parse(load_json(text))
    canonical = write_schema(root, referenced_names)
    name = root.fullname if isinstance(root, NamedNode) else None
    logger.debug("parsed schema name=%s length=%d", name, len(canonical))
    return AvroSchema(canonical, ParsedAvro(root, referenced_names), name)


def _parse_references(
    reference_items: tuple[tuple[str, str], ...],
    names: dict[str, NamedNode],
    validate_defaults: bool,
) -> None:
    """Parse referenced texts into `names`, retrying those that use a later reference."""
    pending = list(reference_items)
    while pending:
        failures: list[tuple[str, str, InvalidSchemaError]] = []
        for reference_name, reference_text in pending:
            trial = dict(names)
            try:
                SchemaParser(trial, validate_defaults=validate_defaults).parse(
                    load_json(reference_text)
                )
            except InvalidSchemaError as error:
                failures.append((reference_name, reference_text, error))
                continue
            names.update(trial)
        if len(failures) == len(pending):
            reference_name, _, first_error = failures[0]
            raise InvalidSchemaError(
                f"Invalid schema reference {reference_name!r}: {first_error.message}",
                path=first_error.path,
            ) from first_error
        pending = [(name, text) for name, text, _ in failures]
