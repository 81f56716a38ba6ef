"""Generated event models: Avro-exact validation, envelope, fastavro round trip; nothing faked."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from pydantic import ValidationError

from keybus.catalog import (
    EVENT_TYPES,
    AccessGranted,
    DeliveryScheduled,
    DeviceStatusChanged,
    DoorLocked,
    DoorUnlocked,
)
from keybus.catalog.com.example.access import (
    AccessMethod,
    CourierGrantee,
    DeviceStatus,
    GuestGrantee,
    LockTrigger,
)
from keybus.catalog.com.example.common import Money, TimeWindow
from keybus.catalog.com.example.delivery import AccessMode, Address, Parcel, ParcelSize
from keybus.events import Event

NOW = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def _window() -> TimeWindow:
    return TimeWindow(starts_at=NOW, ends_at=NOW + timedelta(hours=1))


def _scheduled(**changes: Any) -> DeliveryScheduled:
    fields: dict[str, Any] = {
        "delivery_id": "d-1",
        "recipient_id": "r-1",
        "carrier": "DHL",
        "address": Address(street="Main 1", postal_code="10115", city="Berlin", country_code="DE"),
        "window": _window(),
        "parcels": [
            Parcel(parcel_id="p-1", size=ParcelSize.SMALL, weight_kg=Decimal("1.250")),
        ],
        "access_mode": AccessMode.FRONT_DOOR,
    }
    return DeliveryScheduled(**{**fields, **changes})


def _roundtrip(event: Event) -> Event:
    parsed = type(event).avro_schema().parsed
    buffer = io.BytesIO()
    schemaless_writer(buffer, parsed, event.to_avro())
    buffer.seek(0)
    datum = schemaless_reader(
        buffer, parsed, return_record_name=True, return_record_name_override=True
    )
    return type(event).from_avro(datum)


class TestValidation:
    """Models accept exactly the values their Avro types hold."""

    def test_int_over_32_bits_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorUnlocked(lock_id="l", method=AccessMethod.PIN, battery_percent=2**31)

        assert caught.value.errors()[0]["loc"] == ("battery_percent",)
        assert "less than or equal to 2147483647" in str(caught.value)

    def test_bool_for_int_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorUnlocked(lock_id="l", method=AccessMethod.PIN, battery_percent=True)

        assert caught.value.errors()[0]["loc"] == ("battery_percent",)

    def test_numeric_string_for_int_rejected(self) -> None:
        with pytest.raises(ValidationError):
            DoorUnlocked(lock_id="l", method=AccessMethod.PIN, battery_percent="5")

    def test_long_over_64_bits_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorLocked(lock_id="l", trigger=LockTrigger.MANUAL, open_duration_ms=2**63)

        assert "open_duration_ms" in str(caught.value)

    def test_unknown_enum_symbol_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorUnlocked(lock_id="l", method="FACE_ID")

        assert caught.value.errors()[0]["loc"] == ("method",)
        assert "'PIN', 'BLUETOOTH', 'REMOTE' or 'KEY'" in str(caught.value)

    def test_enum_symbol_string_accepted(self) -> None:
        event = DoorUnlocked(lock_id="l", method="PIN")

        assert event.method is AccessMethod.PIN

    def test_missing_required_field_named(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorUnlocked(method=AccessMethod.PIN)  # type: ignore[call-arg]

        assert caught.value.errors()[0]["loc"] == ("lock_id",)
        assert caught.value.errors()[0]["type"] == "missing"

    def test_null_for_required_string_rejected(self) -> None:
        with pytest.raises(ValidationError):
            DoorUnlocked(lock_id=None, method=AccessMethod.PIN)  # type: ignore[arg-type]

    def test_nullable_field_defaults_to_none(self) -> None:
        event = DoorUnlocked(lock_id="l", method=AccessMethod.PIN)

        assert event.grant_id is None
        assert event.courier_id is None

    def test_unknown_field_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorUnlocked(lock_id="l", method=AccessMethod.PIN, door="front")  # type: ignore[call-arg]

        assert caught.value.errors()[0]["type"] == "extra_forbidden"

    def test_decimal_over_scale_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            Money(amount=Decimal("1.005"), currency="EUR")

        assert "2 decimal places" in str(caught.value)

    def test_decimal_over_precision_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            Money(amount=Decimal("12345678901.00"), currency="EUR")

        assert "no more than 10 digits before the decimal point" in str(caught.value)

    def test_decimal_nan_rejected(self) -> None:
        with pytest.raises(ValidationError):
            Money(amount=Decimal("NaN"), currency="EUR")

    def test_fixed_of_wrong_size_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DeviceStatusChanged(
                lock_id="l", status=DeviceStatus.ONLINE, firmware_version="1", firmware_sha256=b"x"
            )

        assert caught.value.errors()[0]["loc"][0] == "firmware_sha256"
        assert "at least 32" in str(caught.value)

    def test_naive_timestamp_rejected(self) -> None:
        with pytest.raises(ValidationError) as caught:
            DoorUnlocked(lock_id="l", method=AccessMethod.PIN, occurred_at=datetime(2026, 1, 1))

        assert "timezone" in str(caught.value)

    def test_assignment_validated(self) -> None:
        event = DoorUnlocked(lock_id="l", method=AccessMethod.PIN)

        with pytest.raises(ValidationError):
            event.battery_percent = 2**40

    def test_union_of_records_accepts_either_model(self) -> None:
        courier = AccessGranted(
            grant_id="g",
            lock_id="l",
            grantee=CourierGrantee(courier_id="c", carrier="UPS"),
            validity=_window(),
            method=AccessMethod.BLUETOOTH,
        )

        assert isinstance(courier.grantee, CourierGrantee)


class TestEnvelope:
    """Every event has an id, a time and an aggregate id that keys its record."""

    def test_event_id_and_time_filled(self) -> None:
        event = DoorUnlocked(lock_id="l", method=AccessMethod.PIN)

        assert event.event_id.version == 4
        assert event.occurred_at.tzinfo is not None
        assert event.occurred_at.microsecond % 1000 == 0

    def test_aggregate_id_is_key_field(self) -> None:
        assert _scheduled().aggregate_id == "d-1"
        assert DoorUnlocked(lock_id="lock-9", method="PIN").aggregate_id == "lock-9"

    def test_topic_and_type_from_catalog(self) -> None:
        assert DoorUnlocked.topic() == "lock-devices"
        assert DoorUnlocked.event_type() == "com.example.access.DoorUnlocked"
        assert DeliveryScheduled.topic() == "deliveries"

    def test_registry_of_event_types_complete(self) -> None:
        assert EVENT_TYPES["com.example.access.DoorUnlocked"] is DoorUnlocked
        assert EVENT_TYPES["com.example.delivery.DeliveryScheduled"] is DeliveryScheduled
        assert all(name == cls.__avro_name__ for name, cls in EVENT_TYPES.items())


class TestAvroRoundTrip:
    """to_avro and from_avro are inverse through fastavro."""

    def test_nested_records_decimals_and_timestamps(self) -> None:
        event = _scheduled(
            parcels=[
                Parcel(
                    parcel_id="p-1",
                    size=ParcelSize.LARGE,
                    weight_kg=Decimal("12.5"),
                    declared_value=Money(amount=Decimal("99.90"), currency="EUR"),
                ),
                Parcel(parcel_id="p-2", size=ParcelSize.SMALL, weight_kg=Decimal("0.1")),
            ],
            instructions="Ring twice.",
            occurred_at=NOW,
        )

        decoded = _roundtrip(event)

        assert decoded == event
        assert isinstance(decoded, DeliveryScheduled)
        assert decoded.parcels[0].declared_value == Money(amount=Decimal("99.90"), currency="EUR")
        assert decoded.parcels[0].size is ParcelSize.LARGE

    def test_union_branch_kept_by_type(self) -> None:
        event = AccessGranted(
            grant_id="g",
            lock_id="l",
            grantee=GuestGrantee(guest_id="x"),
            validity=_window(),
            method=AccessMethod.PIN,
            occurred_at=NOW,
        )

        decoded = _roundtrip(event)

        assert isinstance(decoded, AccessGranted)
        assert isinstance(decoded.grantee, GuestGrantee)
        assert decoded == event

    def test_fixed_and_map_fields(self) -> None:
        event = DeviceStatusChanged(
            lock_id="l",
            status=DeviceStatus.LOW_BATTERY,
            previous_status=DeviceStatus.ONLINE,
            firmware_version="2.1",
            firmware_sha256=bytes(range(32)),
            signal_dbm=-70.5,
            attributes={"temperature_c": "21"},
            occurred_at=NOW,
        )

        assert _roundtrip(event) == event

    def test_decoded_model_has_fields_set_like_validated_one(self) -> None:
        event = DoorUnlocked(lock_id="l", method=AccessMethod.KEY, occurred_at=NOW)

        decoded = _roundtrip(event)

        assert decoded.model_dump() == event.model_dump()
        assert decoded.model_fields_set == set(DoorUnlocked.model_fields)
        decoded.battery_percent = 50
        assert decoded.battery_percent == 50
