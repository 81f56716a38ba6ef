"""Compatibility levels over several versions, enum evolution and messages; nothing faked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from keybus.schemas import (
    AvroSchema,
    CompatibilityLevel,
    check_compatibility,
    check_reader_writer,
    parse_avro,
)

Level = CompatibilityLevel


def user(*fields: dict[str, Any]) -> AvroSchema:
    all_fields = [{"name": "id", "type": "string"}, *fields]
    return parse_avro(json.dumps({"type": "record", "name": "User", "fields": all_fields}))


EMAIL = {"name": "email", "type": "string"}
EMAIL_WITH_DEFAULT = {"name": "email", "type": "string", "default": ""}


class TestLatestAgainstAllVersions:
    """BACKWARD compares with the latest version only; BACKWARD_TRANSITIVE with all."""

    def test_backward_rejects_required_field(self) -> None:
        messages = check_compatibility(user(EMAIL), [user()], Level.BACKWARD)

        assert len(messages) == 1
        assert "User.email" in messages[0]
        assert "reader_field_missing_default_value" in messages[0]

    def test_backward_accepts_field_with_default(self) -> None:
        assert check_compatibility(user(EMAIL_WITH_DEFAULT), [user()], Level.BACKWARD) == []

    def test_backward_checks_only_latest(self) -> None:
        history = [user(), user(EMAIL_WITH_DEFAULT)]

        assert check_compatibility(user(EMAIL), history, Level.BACKWARD) == []

    def test_backward_transitive_checks_oldest(self) -> None:
        history = [user(), user(EMAIL_WITH_DEFAULT)]

        messages = check_compatibility(user(EMAIL), history, Level.BACKWARD_TRANSITIVE)

        assert len(messages) == 1
        assert "previous schema 1 of 2" in messages[0]

    def test_backward_transitive_accepts_default(self) -> None:
        assert (
            check_compatibility(user(EMAIL_WITH_DEFAULT), [user()], Level.BACKWARD_TRANSITIVE) == []
        )

    def test_forward_transitive_checks_oldest(self) -> None:
        # v1 has a required email; v2 gives it a default; v3 drops it: v2 reads v3 data but
        # v1 cannot.
        history = [user(EMAIL), user(EMAIL_WITH_DEFAULT)]

        assert check_compatibility(user(), history, Level.FORWARD) == []
        assert len(check_compatibility(user(), history, Level.FORWARD_TRANSITIVE)) == 1

    def test_full_transitive_checks_both_directions_on_all(self) -> None:
        history = [user(EMAIL), user(EMAIL_WITH_DEFAULT)]

        messages = check_compatibility(user(), history, Level.FULL_TRANSITIVE)

        assert len(messages) == 1
        assert "previous schema 1 of 2 cannot read data written with the new schema" in messages[0]

    def test_none_accepts_anything(self) -> None:
        assert check_compatibility(parse_avro('"int"'), [user()], Level.NONE) == []

    def test_first_version_always_compatible(self) -> None:
        assert check_compatibility(user(EMAIL), [], Level.FULL_TRANSITIVE) == []

    def test_level_given_as_string(self) -> None:
        messages = check_compatibility(user(EMAIL), [user()], "BACKWARD")  # type: ignore[arg-type]

        assert len(messages) == 1


def ticket(symbols: list[str], default: str | None = None) -> AvroSchema:
    state: dict[str, Any] = {"type": "enum", "name": "State", "symbols": symbols}
    if default is not None:
        state["default"] = default
    schema = {"type": "record", "name": "Ticket", "fields": [{"name": "state", "type": state}]}
    return parse_avro(json.dumps(schema))


V1 = ["OPEN", "PENDING", "DONE"]
REMOVED = ["OPEN", "DONE"]
ADDED = ["OPEN", "PENDING", "DONE", "ARCHIVED"]


@pytest.mark.parametrize(
    ("symbols", "level", "compatible"),
    [
        (REMOVED, Level.FULL, False),
        (ADDED, Level.FULL, False),
        (REMOVED, Level.BACKWARD, False),
        (ADDED, Level.BACKWARD, True),
        (REMOVED, Level.FORWARD, True),
        (ADDED, Level.FORWARD, False),
    ],
)
def test_enum_symbol_change(symbols: list[str], level: Level, compatible: bool) -> None:
    messages = check_compatibility(ticket(symbols), [ticket(V1)], level)

    assert (messages == []) is compatible, messages


def test_enum_default_absorbs_removed_symbol() -> None:
    # Avro >= 1.9: a reader enum default replaces writer symbols the reader does not have.
    assert check_compatibility(ticket(REMOVED, default="OPEN"), [ticket(V1)], Level.BACKWARD) == []


def test_enum_message_names_missing_symbol() -> None:
    messages = check_compatibility(ticket(REMOVED), [ticket(V1)], Level.BACKWARD)

    assert len(messages) == 1
    assert "Ticket.state" in messages[0]
    assert "['PENDING']" in messages[0]
    assert "missing_enum_symbols" in messages[0]
    assert "reader type: enum State ['OPEN', 'DONE']" in messages[0]
    assert "writer type: enum State ['OPEN', 'PENDING', 'DONE']" in messages[0]


def test_type_mismatch_message_names_both_types() -> None:
    reader = parse_avro(
        '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"}}]}'
    )
    writer = parse_avro(
        '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"string"}}]}'
    )

    problems = check_reader_writer(reader, writer)

    assert len(problems) == 1
    assert problems[0].rule == "type_mismatch"
    assert problems[0].path == "R.a[]"
    assert problems[0].reader == "int"
    assert problems[0].writer == "string"


def test_union_message_names_missing_branch() -> None:
    reader = parse_avro(
        '{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"]}]}'
    )
    writer = parse_avro(
        '{"type":"record","name":"R","fields":[{"name":"a","type":["null","string","int"]}]}'
    )

    problems = check_reader_writer(reader, writer)

    assert [problem.rule for problem in problems] == ["missing_union_branch"]
    assert "writer branch 2 (int)" in problems[0].detail


def test_decimal_message_names_scales() -> None:
    def price(scale: int) -> AvroSchema:
        decimal = {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": scale}
        schema = {"type": "record", "name": "P", "fields": [{"name": "price", "type": decimal}]}
        return parse_avro(json.dumps(schema))

    problems = check_reader_writer(price(3), price(2))

    assert [problem.rule for problem in problems] == ["decimal_mismatch"]
    assert "scale=3" in problems[0].detail
    assert "scale=2" in problems[0].detail


def test_recursive_types_terminate() -> None:
    def tree(extra: list[dict[str, Any]]) -> AvroSchema:
        children = {"type": "array", "items": "Tree"}
        fields = [{"name": "children", "type": children}, *extra]
        return parse_avro(json.dumps({"type": "record", "name": "Tree", "fields": fields}))

    problems = check_reader_writer(tree([{"name": "label", "type": "string"}]), tree([]))

    assert [problem.path for problem in problems] == ["Tree.label"]


def test_field_namesake_preferred_over_alias() -> None:
    text = json.dumps(
        {
            "type": "record",
            "name": "R",
            "fields": [
                {"name": "hash", "type": "string"},
                {"name": "nullable_hash", "type": ["null", "string"], "aliases": ["hash"]},
            ],
        }
    )
    schema = parse_avro(text)

    assert check_reader_writer(schema, schema) == []


def test_aliases_matching_two_writer_fields_reported() -> None:
    reader = parse_avro(
        '{"type":"record","name":"R","fields":[{"name":"c","type":"int","aliases":["a","b"]}]}'
    )
    writer = parse_avro(
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}'
    )

    problems = check_reader_writer(reader, writer)

    assert [problem.rule for problem in problems] == ["ambiguous_field_alias"]
