"""Decide whether one Avro schema can read data written with another, level by level."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from keybus.schemas.avro import AvroSchema, ParsedAvro
from keybus.schemas.errors import SchemaError
from keybus.schemas.model import (
    ArrayNode,
    EnumNode,
    FieldNode,
    FixedNode,
    MapNode,
    NamedNode,
    PrimitiveNode,
    RecordNode,
    SchemaNode,
    UnionNode,
    describe,
)

__all__ = [
    "CompatibilityLevel",
    "Incompatibility",
    "check_compatibility",
    "check_reader_writer",
]

logger = logging.getLogger(__name__)

# Writer types each reader type accepts besides its own, from the promotions of the Avro
# specification (Schema Resolution): int to long, float or double, long to float or double,
# float to double, and string and bytes to each other.
PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "bytes": frozenset({"string"}),
    "string": frozenset({"bytes"}),
}


class CompatibilityLevel(StrEnum):
    """The compatibility levels of a Confluent schema registry."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader schema cannot read what a writer schema wrote.

    Attributes:
        rule: The broken rule, named as in Avro Java's `SchemaIncompatibilityType` in lower
            case (`type_mismatch`, `name_mismatch`, `fixed_size_mismatch`,
            `missing_enum_symbols`, `reader_field_missing_default_value`,
            `missing_union_branch`), plus keybus's `decimal_mismatch` and
            `ambiguous_field_alias`.
        path: Where in the reader schema, for example `com.example.User.address.street`.
        detail: What is wrong, in a sentence.
        reader: The reader type at `path`, described in a few words.
        writer: The writer type at `path`, described in a few words.
    """

    rule: str
    path: str
    detail: str
    reader: str
    writer: str

    def __str__(self) -> str:
        where = self.path or "the top level"
        return (
            f"at {where}: {self.detail} [{self.rule}]; "
            f"reader type: {self.reader}, writer type: {self.writer}"
        )


def check_reader_writer(reader: AvroSchema, writer: AvroSchema) -> list[Incompatibility]:
    """Return why `reader` cannot read data written with `writer`, or [] when it can."""
    reader_root = _root(reader)
    path = reader_root.fullname if isinstance(reader_root, NamedNode) else ""
    try:
        return _Checker().check(reader_root, _root(writer), path)
    except RecursionError as exc:
        raise SchemaError(
            f"Compatibility check of {reader.name or 'a schema'} failed: its types are nested "
            "too deeply to compare. Nest fewer arrays, maps, unions and records."
        ) from exc


def check_compatibility(
    new: AvroSchema, previous: Sequence[AvroSchema], level: CompatibilityLevel
) -> list[str]:
    """Check a new schema against the previous ones of a subject at one compatibility level.

    Args:
        new: The schema to register.
        previous: The subject's schemas, oldest first. Levels without `_TRANSITIVE` compare
            with the latest, `previous[-1]`, only.
        level: BACKWARD checks that `new` reads data written with a previous schema,
            FORWARD that a previous schema reads data written with `new`, FULL both.

    Returns:
        One message per incompatibility, naming the previous schema (1 = oldest), the
        field path, the rule and both types; an empty list when `new` is compatible.
    """
    level = CompatibilityLevel(level)
    if level is CompatibilityLevel.NONE or not previous:
        return []
    transitive = level.endswith("_TRANSITIVE")
    targets = list(enumerate(previous, start=1))
    if not transitive:
        targets = targets[-1:]
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    messages: list[str] = []
    for position, old in targets:
        label = f"previous schema {position} of {len(previous)}"
        if backward:
            for problem in check_reader_writer(new, old):
                messages.append(
                    f"{level}: the new schema cannot read data written with {label} {problem}"
                )
        if forward:
            for problem in check_reader_writer(old, new):
                messages.append(
                    f"{level}: {label} cannot read data written with the new schema {problem}"
                )
    return messages


def _root(schema: AvroSchema) -> SchemaNode:
    parsed = schema.parsed
    if not isinstance(parsed, ParsedAvro):
        raise TypeError(f"AvroSchema.parsed is {type(parsed).__name__}, not ParsedAvro")
    return parsed.root


def _kind(node: SchemaNode) -> str:
    return "record" if isinstance(node, RecordNode) else node.type


class _Checker:
    """Walk a reader and a writer schema together, as Avro Java's `SchemaCompatibility` does."""

    def __init__(self) -> None:
        # A pair met again while it is still being checked is a recursive type. It counts
        # as compatible there, and the check already under way decides.
        self._memo: dict[tuple[int, int], list[Incompatibility] | None] = {}

    def check(self, reader: SchemaNode, writer: SchemaNode, path: str) -> list[Incompatibility]:
        key = (id(reader), id(writer))
        if key in self._memo:
            return self._memo[key] or []
        self._memo[key] = None
        result = self._calculate(reader, writer, path)
        self._memo[key] = result
        return result

    def _calculate(
        self, reader: SchemaNode, writer: SchemaNode, path: str
    ) -> list[Incompatibility]:
        if _kind(reader) == _kind(writer):
            return self._same_kind(reader, writer, path)
        if isinstance(writer, UnionNode):
            problems: list[Incompatibility] = []
            for branch in writer.branches:
                problems.extend(self.check(reader, branch, path))
            return problems
        if isinstance(reader, UnionNode):
            if any(not self.check(branch, writer, path) for branch in reader.branches):
                return []
            return [
                _problem(
                    "missing_union_branch",
                    path,
                    "no reader branch reads the writer type",
                    reader,
                    writer,
                )
            ]
        if isinstance(reader, PrimitiveNode) and writer.type in PROMOTIONS.get(reader.type, ()):
            return []
        detail = f"a {_kind(writer)} cannot be read as a {_kind(reader)}"
        return [_problem("type_mismatch", path, detail, reader, writer)]

    def _same_kind(
        self, reader: SchemaNode, writer: SchemaNode, path: str
    ) -> list[Incompatibility]:
        if isinstance(reader, PrimitiveNode) and isinstance(writer, PrimitiveNode):
            return _decimal_problems(reader, writer, path)
        if isinstance(reader, ArrayNode) and isinstance(writer, ArrayNode):
            return self.check(reader.items, writer.items, f"{path}[]")
        if isinstance(reader, MapNode) and isinstance(writer, MapNode):
            return self.check(reader.values, writer.values, f"{path}{{}}")
        if isinstance(reader, UnionNode) and isinstance(writer, UnionNode):
            return self._union_branches(reader, writer, path)
        if not isinstance(reader, RecordNode | EnumNode | FixedNode):
            raise TypeError(f"unexpected schema node {reader!r}")
        if not isinstance(writer, RecordNode | EnumNode | FixedNode):
            raise TypeError(f"unexpected schema node {writer!r}")
        problems = _name_problems(reader, writer, path)
        if isinstance(reader, FixedNode) and isinstance(writer, FixedNode):
            problems.extend(_fixed_problems(reader, writer, path))
        elif isinstance(reader, EnumNode) and isinstance(writer, EnumNode):
            problems.extend(_enum_problems(reader, writer, path))
        elif isinstance(reader, RecordNode) and isinstance(writer, RecordNode):
            problems.extend(self._record_problems(reader, writer, path))
        return problems

    def _union_branches(
        self, reader: UnionNode, writer: UnionNode, path: str
    ) -> list[Incompatibility]:
        problems: list[Incompatibility] = []
        for index, branch in enumerate(writer.branches):
            if self.check(reader, branch, path):
                detail = f"no reader branch reads writer branch {index} ({describe(branch)})"
                problems.append(_problem("missing_union_branch", path, detail, reader, writer))
        return problems

    def _record_problems(
        self, reader: RecordNode, writer: RecordNode, path: str
    ) -> list[Incompatibility]:
        problems: list[Incompatibility] = []
        for reader_field in reader.fields:
            field_path = f"{path}.{reader_field.name}" if path else reader_field.name
            matches = _writer_fields(writer, reader_field)
            if len(matches) > 1:
                names = [match.name for match in matches]
                detail = f"reader field {reader_field.name!r} matches writer fields {names}"
                problems.append(
                    _problem("ambiguous_field_alias", field_path, detail, reader, writer)
                )
            elif matches:
                problems.extend(self.check(reader_field.type, matches[0].type, field_path))
            elif not reader_field.has_default:
                detail = (
                    f"reader field {reader_field.name!r} has no default and the writer "
                    f"{writer.fullname} has no field of that name or alias"
                )
                problems.append(
                    _problem(
                        "reader_field_missing_default_value",
                        field_path,
                        detail,
                        reader_field.type,
                        writer,
                    )
                )
        return problems


def _writer_fields(writer: RecordNode, reader_field: FieldNode) -> list[FieldNode]:
    """Return the writer fields a reader field reads: its namesake, else those of its aliases.

    NOTE: Avro Java 1.12's checker raises AvroRuntimeException when a reader field's name
    and one of its aliases both match writer fields. keybus takes the field of the same
    name, because a reader alias only replaces a writer name the reader does not have.
    """
    direct = writer.field_named(reader_field.name)
    if direct is not None:
        return [direct]
    matches: list[FieldNode] = []
    for alias in reader_field.aliases:
        match = writer.field_named(alias)
        if match is not None and match not in matches:
            matches.append(match)
    return matches


def _name_problems(
    reader: RecordNode | EnumNode | FixedNode, writer: RecordNode | EnumNode | FixedNode, path: str
) -> list[Incompatibility]:
    # Unqualified names match, as in Avro Java 1.12, and reader aliases match full names.
    if reader.name == writer.name or writer.fullname in reader.aliases:
        return []
    detail = f"writer name {writer.fullname!r} is neither the reader's name nor one of its aliases"
    return [_problem("name_mismatch", path, detail, reader, writer)]


def _fixed_problems(reader: FixedNode, writer: FixedNode, path: str) -> list[Incompatibility]:
    problems = _decimal_problems(reader, writer, path)
    if reader.size != writer.size:
        detail = f"reader size {reader.size} differs from writer size {writer.size}"
        problems.append(_problem("fixed_size_mismatch", path, detail, reader, writer))
    return problems


def _enum_problems(reader: EnumNode, writer: EnumNode, path: str) -> list[Incompatibility]:
    missing = [symbol for symbol in writer.symbols if symbol not in reader.symbols]
    if not missing or reader.default is not None:
        return []
    detail = f"writer symbols {missing} are not reader symbols and the reader enum has no default"
    return [_problem("missing_enum_symbols", path, detail, reader, writer)]


def _decimal_problems(
    reader: PrimitiveNode | FixedNode, writer: PrimitiveNode | FixedNode, path: str
) -> list[Incompatibility]:
    # The Avro specification (Logical Types, Decimal) makes two decimals match only if their
    # scales and precisions match. Avro Java's checker ignores logical types.
    reader_decimal = _decimal(reader)
    writer_decimal = _decimal(writer)
    if reader_decimal is None or writer_decimal is None or reader_decimal == writer_decimal:
        return []
    detail = (
        f"decimal(precision={reader_decimal[0]}, scale={reader_decimal[1]}) cannot read "
        f"decimal(precision={writer_decimal[0]}, scale={writer_decimal[1]})"
    )
    return [_problem("decimal_mismatch", path, detail, reader, writer)]


def _decimal(node: PrimitiveNode | FixedNode) -> tuple[int, int] | None:
    """Return (precision, scale) of a valid decimal, or None, as invalid ones are ignored."""
    props = node.props
    precision, scale = props.get("precision"), props.get("scale", 0)
    if props.get("logicalType") != "decimal" or node.type not in ("bytes", "fixed"):
        return None
    if not isinstance(precision, int) or not isinstance(scale, int):
        return None
    if precision <= 0 or not 0 <= scale <= precision:
        return None
    if isinstance(node, FixedNode) and precision > _max_fixed_precision(node.size):
        return None
    return precision, scale


def _max_fixed_precision(size: int) -> int:
    return math.floor(math.log10(2 ** (8 * size - 1) - 1)) if size > 0 else 0


def _problem(
    rule: str, path: str, detail: str, reader: SchemaNode, writer: SchemaNode
) -> Incompatibility:
    return Incompatibility(rule, path, detail, describe(reader), describe(writer))
