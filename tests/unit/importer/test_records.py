"""The import's record encoder against the generic serializer, on real logs and edge cases.

Nothing is faked: events are built from the real logs and both encoders run here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from keybus.importer import EventBuilder, LogMapping, Reject, open_log
from keybus.importer.events import EVENT_FIELDS, EventFields
from keybus.importer.records import EventRecordEncoder
from keybus.importer.schema import AttributeColumn, ColumnKind, build_schema, infer_columns
from keybus.serde import AvroSerializer, parse_schema
from keybus.serde.codec import SchemaRegistry

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "event-logs"
HEADER = b"\x00\x00\x00\x00\x07"
ATTRIBUTES = (
    AttributeColumn("note", "note", ColumnKind.STRING, nullable=True),
    AttributeColumn("amount", "amount", ColumnKind.LONG, nullable=False),
    AttributeColumn("at", "at", ColumnKind.TIMESTAMP, nullable=True),
)


def _encoders(schema: dict[str, Any]) -> tuple[EventRecordEncoder, AvroSerializer]:
    parsed = parse_schema(schema)
    encoder = EventRecordEncoder.for_schema(schema, parsed)
    assert encoder is not None
    serializer = AvroSerializer(parsed, cast("SchemaRegistry", None), validate=False)
    return encoder, serializer


@pytest.mark.parametrize(
    "name", ["receipt.csv", "helpdesk.xes.gz", "roadtraffic100traces.csv", "running-example.csv"]
)
def test_real_log_records_match_generic_encoder(name: str) -> None:
    mapping = LogMapping()
    log = open_log(DATA / name)
    scan = infer_columns(log.rows(), mapping)
    encoder, serializer = _encoders(build_schema(mapping, scan.attributes))
    builder = EventBuilder(mapping, scan.attributes, log.sha256)

    for row in log.rows():
        fields = builder.build_fields(row)
        assert not isinstance(fields, Reject)
        event = dict(zip(EVENT_FIELDS, fields, strict=True))
        assert encoder.encode(fields, HEADER) == serializer.encode_body(event, HEADER)


EDGE_CASES: list[EventFields] = [
    (
        "e" * 36,
        "c",
        "a",
        0,
        None,
        0,
        1,
        1,
        None,
        None,
        None,
        {"note": None, "amount": 0, "at": None},
    ),
    (
        "id-not-a-uuid é",
        "ü" * 70,
        "x" * 300,
        -62_135_596_800_000,
        -570,
        -719_162,
        2**40,
        2**62,
        "r" * 300,
        "",
        12,
        {"note": "n" * 80, "amount": -(2**63), "at": 253_402_300_799_999},
    ),
    (
        "f" * 36,
        "c",
        "",
        1_317_422_324_546,
        120,
        15_248,
        175,
        262_200,
        "112",
        "START",
        3,
        {"note": "", "amount": 2**63 - 1, "at": -1},
    ),
]


@pytest.mark.parametrize("fields", EDGE_CASES)
def test_edge_values_match_generic_encoder(fields: EventFields) -> None:
    encoder, serializer = _encoders(build_schema(LogMapping(), ATTRIBUTES))
    event = dict(zip(EVENT_FIELDS, fields, strict=True))

    first = encoder.encode(fields, HEADER)
    again = encoder.encode(fields, HEADER)

    assert first == serializer.encode_body(event, HEADER)
    assert again == first


def test_edited_fixed_field_needs_generic_encoder() -> None:
    schema = build_schema(LogMapping(), ATTRIBUTES)
    schema["fields"][6]["type"] = "int"

    assert EventRecordEncoder.for_schema(schema, parse_schema(schema)) is None


def test_attribute_rejection_names_field_path() -> None:
    schema = build_schema(LogMapping(), ATTRIBUTES)
    encoder, serializer = _encoders(schema)
    fields = (*EDGE_CASES[0][:-1], {"note": 5, "amount": 1, "at": None})
    event = dict(zip(EVENT_FIELDS, fields, strict=True))

    with pytest.raises(Exception) as fast:
        encoder.encode(cast("EventFields", fields), HEADER)
    with pytest.raises(Exception) as generic:
        serializer.encode_body(event, HEADER)

    assert str(fast.value) == str(generic.value)
    assert "attributes.note" in str(fast.value)
