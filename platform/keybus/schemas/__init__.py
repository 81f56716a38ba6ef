"""Avro schemas: parsing, compatibility checks, the event catalog, bindings and the CI gate."""

from __future__ import annotations

from keybus.schemas.avro import AvroSchema, ParsedAvro, Reference, parse_avro
from keybus.schemas.catalog import Catalog, CatalogError, CatalogEvent
from keybus.schemas.codegen import (
    check_bindings,
    import_bindings,
    render_bindings,
    write_bindings,
)
from keybus.schemas.compatibility import (
    CompatibilityLevel,
    Incompatibility,
    check_compatibility,
    check_reader_writer,
)
from keybus.schemas.errors import InvalidSchemaError, SchemaError
from keybus.schemas.gate import GateResult, check_catalog, register_catalog, render_report

__all__ = [
    "AvroSchema",
    "Catalog",
    "CatalogError",
    "CatalogEvent",
    "CompatibilityLevel",
    "GateResult",
    "Incompatibility",
    "InvalidSchemaError",
    "ParsedAvro",
    "Reference",
    "SchemaError",
    "check_bindings",
    "check_catalog",
    "check_compatibility",
    "check_reader_writer",
    "import_bindings",
    "parse_avro",
    "register_catalog",
    "render_bindings",
    "render_report",
    "write_bindings",
]
