"""Binding generation: freshness of the shipped package, and bindings of temporary catalogs."""

from __future__ import annotations

import io
import itertools
import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastavro import schemaless_reader
from pydantic import ValidationError

from keybus.registry import InMemoryRegistry
from keybus.schemas.catalog import Catalog
from keybus.schemas.codegen import check_bindings, import_bindings, write_bindings
from keybus.serde import AvroDeserializer, AvroSerializer, InvalidSchemaError

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "avro"
BINDINGS = ROOT / "platform/keybus/catalog"
_PACKAGES = itertools.count()

ENVELOPE = [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "holder_id", "type": "string"},
]


def _event(name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "com.example.test",
        "keybus.topic": "holders",
        "keybus.aggregate_id": "holder_id",
        "fields": ENVELOPE + fields,
    }


def _record(name: str, fields: list[tuple[str, Any]]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "fields": [{"name": n, "type": t} for n, t in fields],
    }


def _bindings(tmp_path: Path, *schemas: dict[str, Any]) -> Any:
    folder = tmp_path / "avro"
    folder.mkdir()
    for schema in schemas:
        (folder / f"{schema['namespace']}.{schema['name']}.avsc").write_text(json.dumps(schema))
    package = f"bindings_{next(_PACKAGES)}"
    module = import_bindings(Catalog.load(folder), package, tmp_path / "out")
    return __import__(f"{package}.com.example.test", fromlist=["*"]), module


def test_shipped_bindings_match_catalog() -> None:
    assert check_bindings(Catalog.load(CATALOG), BINDINGS) == []


def test_stale_bindings_reported(tmp_path: Path) -> None:
    catalog_copy = tmp_path / "avro"
    shutil.copytree(CATALOG, catalog_copy)
    output = tmp_path / "bindings"
    write_bindings(Catalog.load(catalog_copy), output)
    path = catalog_copy / "com.example.access.DoorLocked.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    path.write_text(json.dumps(schema))

    problems = check_bindings(Catalog.load(catalog_copy), output)

    assert f"stale: {output / 'com/example/access.py'}" in problems
    assert f"stale: {output / 'schemas/com.example.access.DoorLocked.avsc'}" in problems


def test_removed_event_reported_as_no_longer_generated(tmp_path: Path) -> None:
    catalog_copy = tmp_path / "avro"
    shutil.copytree(CATALOG, catalog_copy)
    output = tmp_path / "bindings"
    write_bindings(Catalog.load(catalog_copy), output)
    (catalog_copy / "com.example.access.DoorLocked.avsc").unlink()

    problems = check_bindings(Catalog.load(catalog_copy), output)

    assert (
        f"no longer generated: {output / 'schemas/com.example.access.DoorLocked.avsc'}" in problems
    )


def test_invalid_default_fails_at_import(tmp_path: Path) -> None:
    bad = _event("Bad", [{"name": "ref", "type": ["string", "long"], "default": 10}])

    with pytest.raises(InvalidSchemaError) as caught:
        _bindings(tmp_path, bad)

    assert "Field 'ref' of com.example.test.Bad has an invalid default 10" in str(caught.value)


def test_keyword_field_name_gets_alias(tmp_path: Path) -> None:
    schema = _event("Kw", [{"name": "class", "type": "string"}, {"name": "topic", "type": "int"}])
    namespace, _ = _bindings(tmp_path, schema)

    event = namespace.Kw(holder_id="h", **{"class": "c", "topic": 3})

    assert event.class_ == "c"
    assert event.topic_ == 3
    assert event.to_avro()["class"] == "c"


class TestSimilarRecordUnion:
    """A union of records that share fields: the model's type decides the branch (B13)."""

    SMALL: ClassVar[dict[str, Any]] = _record("Small", [("x", "int"), ("y", "int")])
    LARGE: ClassVar[dict[str, Any]] = {
        **_record("Large", [("x", "int"), ("y", "int")]),
        "fields": [
            {"name": "x", "type": "int"},
            {"name": "y", "type": "int"},
            {"name": "z", "type": ["null", "int"], "default": None},
        ],
    }

    def test_large_model_written_with_branch_one(self, tmp_path: Path) -> None:
        namespace, _ = _bindings(
            tmp_path, _event("Holder", [{"name": "item", "type": [self.SMALL, self.LARGE]}])
        )
        registry = InMemoryRegistry()
        event = namespace.Holder(holder_id="h", item=namespace.Large(x=3, y=4, z=5))
        serializer = AvroSerializer(namespace.Holder.avro_schema(), registry, auto_register=True)

        data = serializer.encode(event.to_avro(), "holders")
        decoded = namespace.Holder.from_avro(AvroDeserializer(registry).decode(data).value)

        body = io.BytesIO(data[5:])
        raw = schemaless_reader(
            body, namespace.Holder.avro_schema().parsed, return_record_name=True
        )
        assert raw["item"][0] == "com.example.test.Large"
        assert isinstance(decoded.item, namespace.Large)
        assert decoded.item.z == 5

    def test_plain_dict_validated_as_large(self, tmp_path: Path) -> None:
        holder = _event("Holder", [{"name": "item", "type": [self.SMALL, self.LARGE]}])
        namespace, _ = _bindings(tmp_path, holder)

        event = namespace.Holder(holder_id="h", item={"x": 3, "y": 4, "z": 5})

        assert type(event.item) is namespace.Large
        assert event.item.z == 5

    def test_plain_dict_with_small_fields_validated_as_small(self, tmp_path: Path) -> None:
        holder = _event("Holder", [{"name": "item", "type": [self.SMALL, self.LARGE]}])
        namespace, _ = _bindings(tmp_path, holder)

        event = namespace.Holder(holder_id="h", item={"x": 3, "y": 4})

        assert type(event.item) is namespace.Small

    def test_plain_dict_fitting_same_shapes_rejected(self, tmp_path: Path) -> None:
        a = _record("A", [("n", "int")])
        b = _record("B", [("n", "int")])
        namespace, _ = _bindings(tmp_path, _event("Choice", [{"name": "item", "type": [a, b]}]))

        with pytest.raises(ValidationError) as caught:
            namespace.Choice(holder_id="h", item={"n": 42})

        assert "fit union branches" in str(caught.value)
        assert "com.example.test.A" in str(caught.value)
        assert "com.example.test.B" in str(caught.value)

    def test_same_shaped_branch_round_trips_byte_identical(self, tmp_path: Path) -> None:
        a = _record("A", [("n", "int")])
        b = _record("B", [("n", "int")])
        namespace, _ = _bindings(tmp_path, _event("Choice", [{"name": "item", "type": [a, b]}]))
        registry = InMemoryRegistry()
        serializer = AvroSerializer(namespace.Choice.avro_schema(), registry, auto_register=True)
        event = namespace.Choice(holder_id="h", item=namespace.B(n=42))

        data = serializer.encode(event.to_avro(), "holders")
        consumed = namespace.Choice.from_avro(AvroDeserializer(registry).decode(data).value)
        again = serializer.encode(consumed.to_avro(), "holders")

        assert type(consumed.item) is namespace.B
        assert again == data
