"""Routing documents built from record parts and real fastavro decoding; nothing faked."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import uuid
from pathlib import Path

import fastavro

from keybus.routing import load_rules, matches, routing_document

REPO = Path(__file__).resolve().parents[3]


def test_cloudevents_headers_become_envelope_fields() -> None:
    document = routing_document(
        {"lock_id": "lock-eu-7"},
        topic="lock-devices",
        key=b"lock-eu-7",
        headers=[
            ("ce_type", b"com.example.access.DoorUnlocked"),
            ("ce_id", b"7f0c"),
            ("ce_source", "lock-service"),
            ("traceparent", b"00-abc-def-01"),
            ("ce_subject", None),
        ],
        partition=2,
        offset=41,
        timestamp_ms=1_700_000_000_000,
    )

    assert document == {
        "type": "com.example.access.DoorUnlocked",
        "id": "7f0c",
        "source": "lock-service",
        "topic": "lock-devices",
        "partition": 2,
        "offset": 41,
        "timestamp": 1_700_000_000_000,
        "key": "lock-eu-7",
        "detail": {"lock_id": "lock-eu-7"},
    }


def test_absent_parts_are_left_out() -> None:
    document = routing_document({"n": 1}, topic="deliveries", headers={"ce_type": "X"})

    assert document == {"type": "X", "topic": "deliveries", "detail": {"n": 1}}


def test_avro_logical_types_become_json_values() -> None:
    occurred = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    event_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    detail = {
        "occurred_at": occurred,
        "day": dt.date(2026, 12, 4),
        "weight_kg": decimal.Decimal("2.500"),
        "count": decimal.Decimal("3"),
        "event_id": event_id,
        "sha": b"\x00\xff",
        "parcels": ({"at": occurred},),
    }

    document = routing_document(detail, topic="deliveries")

    assert document["detail"] == {
        "occurred_at": 1_796_385_600_000,
        "day": "2026-12-04",
        "weight_kg": 2.5,
        "count": 3,
        "event_id": "12345678-1234-5678-1234-567812345678",
        "sha": "\x00\xff",
        "parcels": [{"at": 1_796_385_600_000}],
    }


def test_numeric_pattern_on_decoded_timestamp() -> None:
    document = routing_document(
        {"occurred_at": dt.datetime(2026, 12, 4, tzinfo=dt.UTC)}, topic="deliveries"
    )

    assert matches({"detail": {"occurred_at": [{"numeric": [">=", 1_796_342_400_000]}]}}, document)


def test_fastavro_decoded_event_routes_by_example_rules() -> None:
    schema = fastavro.schema.load_schema(
        str(REPO / "avro" / "com.example.access.DoorUnlocked.avsc")
    )
    record = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": dt.datetime(2026, 12, 4, 8, 30, tzinfo=dt.UTC),
        "lock_id": "lock-eu-7",
        "grant_id": None,
        "method": "BLUETOOTH",
        "battery_percent": None,
        "courier_id": "c-9",
    }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, record)
    buffer.seek(0)
    decoded = fastavro.schemaless_reader(buffer, schema)
    document = routing_document(
        decoded, topic="lock-devices", headers={"ce_type": "com.example.access.DoorUnlocked"}
    )
    rule = load_rules(REPO / "deploy" / "rules.yaml").get("courier-unlocks-to-recipient")
    assert rule is not None

    output = rule.transform(document)

    assert rule.matches(document)
    assert output["occurred_at"] == 1_796_373_000_000
    assert output["text"] == "Courier c-9 opened lock lock-eu-7"
    assert isinstance(document["detail"]["event_id"], str)
