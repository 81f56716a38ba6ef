"""Parse, validate and write Avro schemas; pure functions, nothing faked."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from keybus.schemas import AvroSchema, InvalidSchemaError, ParsedAvro, Reference, parse_avro
from keybus.schemas.model import RecordNode


def record(name: str, fields: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps({"type": "record", "name": name, "fields": fields, **extra})


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def root_of(schema: AvroSchema) -> Any:
    assert isinstance(schema.parsed, ParsedAvro)
    return schema.parsed.root


INVALID_SCHEMAS: list[tuple[str, str, str]] = [
    ("bad-json", '{"type": "record", "name": "A", "fields": [}', "not valid JSON"),
    ("nan-literal", record("A", [field("x", "double", default=0)]).replace("0}", "NaN}"), "JSON"),
    ("repeated-json-key", '{"type": "string", "type": "int"}', "appears twice"),
    ("unknown-type", record("A", [field("x", "panther")]), "unknown type 'panther'"),
    ("unknown-type-object", '{"type": "panther"}', "unknown type 'panther'"),
    ("number-as-schema", "42", "42 is not a schema"),
    ("no-type", '{"name": "A"}', "no string 'type'"),
    ("record-without-name", '{"type": "record", "fields": []}', "has no string 'name'"),
    ("record-name-not-string", '{"type": "record", "name": 7, "fields": []}', "no string 'name'"),
    ("record-fields-not-array", '{"type": "record", "name": "A", "fields": {}}', "'fields' must"),
    ("invalid-record-name", record("1Bad", []), "'1Bad' is not a valid Avro name"),
    ("invalid-field-name", record("A", [field("bad-name", "int")]), "'bad-name'"),
    ("field-without-name", record("A", [{"type": "int"}]), "has no string 'name'"),
    ("field-without-type", record("A", [{"name": "x"}]), "field 'x' has no 'type'"),
    ("duplicate-field", record("A", [field("x", "int"), field("x", "long")]), "declared twice"),
    (
        "duplicate-name",
        record("A", [field("x", {"type": "fixed", "name": "A", "size": 1})]),
        "'A' is defined twice",
    ),
    ("named-after-primitive", record("string", []), "named after the primitive"),
    (
        "invalid-namespace",
        record("A", [], namespace="com.bad name"),
        "namespace 'com.bad name' is not",
    ),
    ("namespace-not-string", record("A", [], namespace=5), "'namespace' of 'A' must be a string"),
    ("enum-without-symbols", '{"type": "enum", "name": "E"}', "'symbols' must be an array"),
    (
        "enum-symbol-not-string",
        '{"type": "enum", "name": "E", "symbols": ["A", 7]}',
        "'symbols' must be an array of strings",
    ),
    ("enum-bad-symbol", '{"type": "enum", "name": "E", "symbols": ["A-B"]}', "enum symbol 'A-B'"),
    ("enum-duplicate-symbol", '{"type": "enum", "name": "E", "symbols": ["A", "A"]}', "duplicate"),
    (
        "enum-default-not-symbol",
        '{"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}',
        'enum default "B" is not one of the symbols',
    ),
    ("fixed-without-size", '{"type": "fixed", "name": "F"}', "fixed 'size' must be"),
    ("fixed-negative-size", '{"type": "fixed", "name": "F", "size": -1}', "non-negative"),
    ("array-without-items", '{"type": "array"}', "has no 'items'"),
    ("map-without-values", '{"type": "map"}', "has no 'values'"),
    ("union-in-union", '["null", ["int", "long"]]', "a union contains a union"),
    ("union-duplicate-primitive", '["null", "string", "string"]', "are both 'string'"),
    (
        "union-duplicate-array",
        '[{"type":"array","items":"int"},{"type":"array","items":"long"}]',
        "both 'array'",
    ),
    ("field-order-invalid", record("A", [field("x", "int", order="up")]), "field order"),
    ("aliases-not-strings", record("A", [], aliases=[1]), "'aliases' must be an array"),
    ("doc-not-string", record("A", [], doc=3), "'doc' must be a string"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [case[1:] for case in INVALID_SCHEMAS],
    ids=[case[0] for case in INVALID_SCHEMAS],
)
def test_invalid_schema_rejected(text: str, expected: str) -> None:
    with pytest.raises(InvalidSchemaError) as caught:
        parse_avro(text)

    assert expected in caught.value.message


INVALID_DEFAULTS: list[tuple[str, Any, Any, str]] = [
    # B04 A, B and C: a default that does not match the type, or the union's first branch.
    ("null-for-string", "string", None, "expected a string for type string"),
    ("long-for-string-first-union", ["string", "long"], 10, "expected a string"),
    ("union-json-style", ["string", "null"], {"string": "x"}, "expected a string"),
    ("string-for-boolean", "boolean", "rofl", "expected true or false"),
    ("float-for-long", "long", 4.2, "64-bit"),
    ("int-out-of-range", "int", 2**31, "32-bit"),
    ("bool-for-int", "int", True, "32-bit"),
    ("number-for-null", "null", 42, "expected null"),
    ("list-for-double", "double", [1.5], "expected a number"),
    ("word-for-double", "double", "many", "expected a number"),
    ("null-for-bytes", "bytes", None, "U+0000-U+00FF"),
    ("bytes-beyond-latin1", "bytes", "\u20ac", "U+0000-U+00FF"),
    ("array-item-type", {"type": "array", "items": "string"}, [1, False, None], "item 0"),
    ("map-value-type", {"type": "map", "values": "int"}, {"a": "x"}, "value of key 'a'"),
    ("enum-unknown-symbol", {"type": "enum", "name": "E", "symbols": ["A"]}, "B", "symbols"),
    ("fixed-wrong-length", {"type": "fixed", "name": "F", "size": 4}, "12345678", "4 characters"),
    (
        "record-missing-field",
        {"type": "record", "name": "R", "fields": [field("a", "int")]},
        {},
        "field 'a' of com.example.R is missing",
    ),
]


@pytest.mark.parametrize(
    ("type_", "default", "expected"),
    [case[1:] for case in INVALID_DEFAULTS],
    ids=[case[0] for case in INVALID_DEFAULTS],
)
def test_invalid_default_rejected(type_: Any, default: Any, expected: str) -> None:
    text = record("com.example.Code", [field("value", type_, default=default)])

    with pytest.raises(InvalidSchemaError) as caught:
        parse_avro(text)

    assert expected in caught.value.message
    assert caught.value.path == "com.example.Code.value"
    assert "first branch" in caught.value.message


@pytest.mark.parametrize(
    ("type_", "default"),
    [case[1:3] for case in INVALID_DEFAULTS[:3]],
    ids=[case[0] for case in INVALID_DEFAULTS[:3]],
)
def test_invalid_default_kept_without_validation(type_: Any, default: Any) -> None:
    text = record("com.example.Code", [field("value", type_, default=default)])

    schema = parse_avro(text, validate_defaults=False)

    assert json.loads(schema.text)["fields"][0]["default"] == default


VALID_DEFAULTS: list[tuple[str, Any, Any]] = [
    # B04 D: the controls.
    ("long-first-union", ["long", "string"], 10),
    ("null-first-union", ["null", "string"], None),
    ("empty-string", "string", ""),
    ("int-for-double", "double", 1),
    ("nan-for-double", "double", "NaN"),
    ("infinity-for-float", "float", "-Infinity"),
    ("bytes-latin1", "bytes", "\u00ff\u0000"),
    ("fixed-exact", {"type": "fixed", "name": "F", "size": 2}, "ab"),
    ("enum-symbol", {"type": "enum", "name": "E", "symbols": ["A", "B"]}, "B"),
    ("array", {"type": "array", "items": "int"}, [1, 2]),
    ("map", {"type": "map", "values": ["null", "int"]}, {"a": None}),
    (
        "record-with-field-default",
        {
            "type": "record",
            "name": "R",
            "fields": [field("a", "int", default=1), field("b", "string")],
        },
        {"b": "x"},
    ),
]


@pytest.mark.parametrize(
    ("type_", "default"),
    [case[1:] for case in VALID_DEFAULTS],
    ids=[case[0] for case in VALID_DEFAULTS],
)
def test_valid_default_accepted(type_: Any, default: Any) -> None:
    text = record("com.example.Code", [field("value", type_, default=default)])

    schema = parse_avro(text)

    assert json.loads(schema.text)["fields"][0]["default"] == default


def test_enum_default_checked_even_without_default_validation() -> None:
    text = '{"type": "enum", "name": "E", "symbols": ["A"], "default": "Z"}'

    with pytest.raises(InvalidSchemaError) as caught:
        parse_avro(text, validate_defaults=False)

    assert "enum default" in caught.value.message


def test_default_error_names_nested_path() -> None:
    inner = {"type": "record", "name": "Address", "fields": [field("zip", "int", default="x")]}
    text = record("com.example.User", [field("address", inner)])

    with pytest.raises(InvalidSchemaError) as caught:
        parse_avro(text)

    assert caught.value.path == "com.example.Address.zip"
    assert "field 'zip'" in caught.value.message


class TestCanonicalText:
    """The text a Confluent registry stores and returns (Avro Java's Schema.toString)."""

    def test_primitive_object_becomes_name(self) -> None:
        assert parse_avro('{"type": "string"}').text == '"string"'

    def test_primitive_with_property_stays_object(self) -> None:
        schema = parse_avro('{"type": "string", "logicalType": "uuid"}')

        assert schema.text == '{"type":"string","logicalType":"uuid"}'

    def test_attributes_in_fixed_order(self) -> None:
        text = (
            '{"fields": [{"type": "int", "doc": "d", "name": "a", "owner": "x"}],'
            ' "doc": "R", "name": "R", "namespace": "n", "type": "record"}'
        )

        schema = parse_avro(text)

        assert schema.text == (
            '{"type":"record","name":"R","namespace":"n","doc":"R",'
            '"fields":[{"name":"a","type":"int","doc":"d","owner":"x"}]}'
        )

    def test_dotted_name_split_into_namespace(self) -> None:
        dotted = parse_avro(record("com.example.User", []))
        separate = parse_avro(record("User", [], namespace="com.example"))

        assert dotted.text == separate.text
        assert dotted.name == "com.example.User"

    def test_doc_on_primitive_dropped_like_java(self) -> None:
        assert parse_avro('{"type": "int", "doc": "count"}').text == '"int"'

    def test_redundant_nested_namespace_omitted(self) -> None:
        inner = {"type": "record", "name": "B", "namespace": "com.example", "fields": []}
        schema = parse_avro(record("A", [field("b", inner)], namespace="com.example"))

        assert '"namespace":"com.example","fields":[]' not in schema.text
        assert schema.text.count("namespace") == 1

    def test_referenced_types_written_by_name(self) -> None:
        status = '{"type": "enum", "name": "Status", "namespace": "com.example", "symbols": ["A"]}'
        text = record("com.example.Order", [field("status", "Status")])

        schema = parse_avro(text, {"com.example.Status": status})

        assert '"type":"Status"' in schema.text
        assert "symbols" not in schema.text

    @pytest.mark.parametrize(
        ("default", "written"),
        [
            (1e10, "1.0E10"),
            (1.5e-7, "1.5E-7"),
            (12345678.0, "1.2345678E7"),
            (1234567.5, "1234567.5"),
            (0.001, "0.001"),
            (1e-4, "1.0E-4"),
            (100.0, "100.0"),
            (-0.0, "-0.0"),
            (7, "7"),
        ],
    )
    def test_double_default_written_like_java(self, default: float, written: str) -> None:
        schema = parse_avro(record("R", [field("a", "double", default=default)]))

        assert schema.text.endswith(f'"default":{written}}}]}}')

    def test_non_ascii_kept_verbatim(self) -> None:
        schema = parse_avro(record("A", [], doc="Größe"))

        assert "Größe" in schema.text


class TestEquivalentSpellings:
    """Fingerprints for lookup and for re-registering the same schema."""

    def test_primitive_spellings_share_fingerprint(self) -> None:
        assert parse_avro('"string"').fingerprint() == parse_avro('{"type":"string"}').fingerprint()

    def test_whitespace_and_attribute_order_ignored(self) -> None:
        one = parse_avro('{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}')
        two = parse_avro(
            '{ "fields" : [ {"type":"string", "name":"a"} ], "name":"R", "type":"record" }'
        )

        assert one.fingerprint() == two.fingerprint()

    def test_custom_property_order_matters_without_normalize(self) -> None:
        one = parse_avro(record("R", [field("a", "string")], owner="x", tier=1))
        two = parse_avro(record("R", [field("a", "string")], tier=1, owner="x"))

        assert one.fingerprint() != two.fingerprint()
        assert one.normalized().fingerprint() == two.normalized().fingerprint()

    def test_normalized_sorts_nested_property_objects(self) -> None:
        one = parse_avro(record("R", [field("a", "int", meta={"b": 1, "a": 2})]))
        two = parse_avro(record("R", [field("a", "int", meta={"a": 2, "b": 1})]))

        assert one.normalized().text == two.normalized().text

    def test_normalized_keeps_field_and_branch_order(self) -> None:
        schema = parse_avro(record("R", [field("b", ["string", "null"]), field("a", "int")]))

        normalized = json.loads(schema.normalized().text)

        assert [item["name"] for item in normalized["fields"]] == ["b", "a"]
        assert normalized["fields"][0]["type"] == ["string", "null"]

    def test_normalized_is_idempotent(self) -> None:
        schema = parse_avro(record("com.example.R", [field("a", "int")], z=1, a=2))

        once = schema.normalized()

        assert parse_avro(once.text).normalized().text == once.text

    def test_different_schemas_differ(self) -> None:
        assert parse_avro('"string"').fingerprint() != parse_avro('"bytes"').fingerprint()


class TestNamedTypes:
    """Name resolution: top-level unions, null namespaces and references."""

    def test_top_level_union_reuses_named_type(self) -> None:
        # B10: Part is defined inside Pair.first and referred to by name in Pair.second.
        pair = {
            "type": "record",
            "name": "com.example.Pair",
            "fields": [
                field("first", {"type": "record", "name": "Part", "fields": []}),
                field("second", "Part"),
            ],
        }
        text = json.dumps(["null", pair])

        schema = parse_avro(text)

        assert schema.name is None
        assert json.loads(schema.text)[1]["fields"][1]["type"] == "Part"
        assert root_of(schema).branches[1].fields[1].type.fullname == "com.example.Part"

    @pytest.mark.parametrize("namespace", ["", None])
    def test_empty_namespace_is_null_namespace(self, namespace: str | None) -> None:
        # B12: "" and null on a nested record mean the null namespace, not the enclosing one.
        row = {
            "type": "record",
            "name": "Row",
            "namespace": namespace,
            "fields": [field("text", "string")],
        }
        text = record("Envelope", [field("a", row), field("b", "Row")], namespace="com.example")

        schema = parse_avro(text)

        envelope = root_of(schema)
        assert envelope.fields[0].type.fullname == "Row"
        assert envelope.fields[1].type is envelope.fields[0].type
        assert '"name":"Row","namespace":""' in schema.text
        assert "com.example.Row" not in schema.text

    def test_canonical_text_of_null_namespace_parses_back(self) -> None:
        row = {"type": "record", "name": "Row", "namespace": "", "fields": []}
        text = record("Envelope", [field("a", row), field("b", "Row")], namespace="com.example")

        first = parse_avro(text)

        assert parse_avro(first.text).text == first.text

    def test_missing_reference_names_type_and_fix(self) -> None:
        text = record("com.example.Order", [field("status", "Status")])

        with pytest.raises(InvalidSchemaError) as caught:
            parse_avro(text)

        assert "unknown type 'Status'" in caught.value.message
        assert "schema reference" in caught.value.message
        assert caught.value.path == "com.example.Order.status"

    def test_references_in_any_order(self) -> None:
        status = '{"type": "enum", "name": "com.example.Status", "symbols": ["A"]}'
        line = record("com.example.Line", [field("status", "Status")])
        text = record("com.example.Order", [field("line", "Line")])

        schema = parse_avro(text, {"com.example.Line": line, "com.example.Status": status})

        assert isinstance(root_of(schema), RecordNode)
        assert '"type":"Line"' in schema.text

    def test_invalid_reference_named_in_error(self) -> None:
        with pytest.raises(InvalidSchemaError) as caught:
            parse_avro('"string"', {"com.example.Bad": "{"})

        assert "reference 'com.example.Bad'" in caught.value.message

    def test_recursive_record(self) -> None:
        text = record("com.example.Node", [field("next", ["null", "Node"], default=None)])

        schema = parse_avro(text)

        node = root_of(schema)
        assert node.fields[0].type.branches[1] is node

    def test_equal_repeat_definition_accepted(self) -> None:
        fixed = {"type": "fixed", "name": "F", "size": 2}
        text = record("R", [field("a", fixed), field("b", dict(fixed))])

        schema = parse_avro(text)

        node = root_of(schema)
        assert node.fields[1].type is node.fields[0].type
        assert schema.text.endswith('{"name":"b","type":"F"}]}')

    def test_different_repeat_definition_rejected(self) -> None:
        text = record(
            "R",
            [
                field("a", {"type": "fixed", "name": "F", "size": 2}),
                field("b", {"type": "fixed", "name": "F", "size": 3}),
            ],
        )

        with pytest.raises(InvalidSchemaError) as caught:
            parse_avro(text)

        assert "defined twice with different definitions" in caught.value.message
        assert caught.value.path == "F"

    def test_repeat_of_referenced_type_accepted(self) -> None:
        status = {"type": "enum", "name": "com.example.Status", "symbols": ["A"]}
        text = record("com.example.Order", [field("status", status)])

        schema = parse_avro(text, {"com.example.Status": json.dumps(status)})

        assert '"type":"Status"' in schema.text

    def test_unqualified_alias_qualified_by_namespace(self) -> None:
        schema = parse_avro(record("New", [], namespace="com.example", aliases=["Old"]))

        assert root_of(schema).aliases == ["com.example.Old"]
        assert '"aliases":["Old"]' in schema.text


def test_parse_cached_by_text() -> None:
    text = record("com.example.Cached", [field("a", "int")])

    assert parse_avro(text) is parse_avro(text)


def test_normalized_sorts_references() -> None:
    schema = parse_avro('"string"')
    first = Reference("b.B", "b-value", 1)
    second = Reference("a.A", "a-value", 2)
    with_references = dataclasses.replace(schema, references=(first, second))

    normalized = with_references.normalized()

    assert normalized.references == (second, first)
    assert with_references.fingerprint() != normalized.fingerprint()


def test_deep_nesting_rejected_cleanly() -> None:
    depth = 3000
    text = '{"type":"array","items":' * depth + '"int"' + "}" * depth

    with pytest.raises(InvalidSchemaError) as caught:
        parse_avro(text)

    assert "nested too deeply" in caught.value.message
