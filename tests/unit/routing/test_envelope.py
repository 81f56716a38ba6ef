"""Routing documents built from record parts; nothing faked."""

from __future__ import annotations

from keybus.routing import routing_document


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
