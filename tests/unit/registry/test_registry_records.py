"""Records of the schemas and coordination topics: Confluent's JSON format, both ways.

Pure functions; no broker.
"""

from __future__ import annotations

import json

import pytest

from keybus.registry.server.coordination import (
    HighWaterMark,
    PrimaryAnnouncement,
    decode_coordination,
    encode_high_water_mark,
    encode_primary,
)
from keybus.registry.server.records import (
    ConfigRecord,
    DeleteSubjectRecord,
    ModeRecord,
    NoopRecord,
    RecordFormatError,
    SchemaRecord,
    SchemaReference,
    decode_record,
    encode_record,
)
from keybus.types import SchemaId, Subject, Version

SCHEMA = SchemaRecord(
    subject=Subject("orders-value"),
    version=Version(2),
    schema_id=SchemaId(7),
    schema_text='"string"',
    references=(SchemaReference("Line", Subject("line-value"), Version(1)),),
)


def test_schema_record_confluent_layout() -> None:
    key, value = encode_record(SCHEMA)

    assert key == b'{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}'
    assert value is not None
    assert json.loads(value) == {
        "subject": "orders-value",
        "version": 2,
        "id": 7,
        "references": [{"name": "Line", "subject": "line-value", "version": 1}],
        "schema": '"string"',
        "deleted": False,
    }


@pytest.mark.parametrize(
    "record",
    [
        SCHEMA,
        SchemaRecord(subject=Subject("s"), version=Version(1)),
        ConfigRecord(None, "FULL"),
        ConfigRecord(Subject("s"), None),
        ModeRecord(None, "IMPORT"),
        ModeRecord(Subject("s"), "READONLY"),
        DeleteSubjectRecord(Subject("s"), Version(3)),
        NoopRecord(),
    ],
    ids=[
        "schema",
        "tombstone",
        "global-config",
        "config-tombstone",
        "global-mode",
        "mode",
        "delete",
        "noop",
    ],
)
def test_record_round_trip(record: object) -> None:
    key, value = encode_record(record)  # type: ignore[arg-type]

    assert decode_record(key, value) == record


def test_non_avro_schema_type_kept() -> None:
    value = b'{"subject":"j","version":1,"id":3,"schemaType":"JSON","schema":"{}","deleted":true}'

    record = decode_record(b'{"keytype":"SCHEMA","subject":"j","version":1,"magic":1}', value)

    assert isinstance(record, SchemaRecord)
    assert record.schema_type == "JSON"
    assert record.deleted is True


def test_unknown_key_type_skipped() -> None:
    assert decode_record(b'{"keytype":"CONTEXT","tenant":"t","magic":0}', b"{}") is None


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (b"not json", None, "is not JSON"),
        (b"[1]", None, "is not a JSON object"),
        (b'{"keytype":"SCHEMA","subject":"s","version":1}', b'{"id":1}', "wrong shape"),
        (b'{"keytype":"CONFIG","subject":null}', b'{"level":"FULL"}', "wrong shape"),
    ],
    ids=["key-not-json", "key-not-object", "schema-without-text", "config-without-level"],
)
def test_malformed_record_rejected(key: bytes, value: bytes | None, expected: str) -> None:
    with pytest.raises(RecordFormatError) as raised:
        decode_record(key, value)

    assert expected in raised.value.message


def test_coordination_records_round_trip() -> None:
    announcement = PrimaryAnnouncement("http://127.0.0.1:8081", "abc")
    mark = HighWaterMark(41)

    assert decode_coordination(*encode_primary(announcement)) == announcement
    assert decode_coordination(*encode_high_water_mark(mark)) == mark
    assert decode_coordination(b"primary", None) is None
    assert decode_coordination(b"other", b"{}") is None
