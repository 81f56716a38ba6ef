"""Generated bindings of Avro namespace com.example.delivery; do not edit."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, Field

from keybus.catalog.com.example.common import Money, Sha256, TimeWindow
from keybus.events import AvroLong, AvroRecord, AvroString, Event, packaged_schema, utc_now

__all__ = [
    "AccessMode",
    "Address",
    "CancellationReason",
    "DeliveryCancelled",
    "DeliveryCompleted",
    "DeliveryOutcome",
    "DeliveryScheduled",
    "Parcel",
    "ParcelSize",
]


class AccessMode(StrEnum):
    """Where the courier may leave the parcels."""

    FRONT_DOOR = "FRONT_DOOR"
    GARAGE = "GARAGE"
    PARCEL_LOCKER = "PARCEL_LOCKER"


class Address(AvroRecord):
    """A postal address."""

    __avro_name__: ClassVar[str] = "com.example.delivery.Address"

    street: AvroString
    unit: AvroString | None = None
    postal_code: AvroString
    city: AvroString
    country_code: AvroString
    """ISO 3166-1 alpha-2 code."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "street": self.street,
            "unit": self.unit,
            "postal_code": self.postal_code,
            "city": self.city,
            "country_code": self.country_code,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        return cls.from_trusted(
            {
                "street": datum["street"],
                "unit": datum["unit"],
                "postal_code": datum["postal_code"],
                "city": datum["city"],
                "country_code": datum["country_code"],
            }
        )


class CancellationReason(StrEnum):
    """Avro enum com.example.delivery.CancellationReason."""

    RECIPIENT_REQUEST = "RECIPIENT_REQUEST"
    ADDRESS_UNREACHABLE = "ADDRESS_UNREACHABLE"
    CARRIER_FAILURE = "CARRIER_FAILURE"
    OTHER = "OTHER"


class DeliveryOutcome(StrEnum):
    """How a delivery ended; readers map symbols they do not know to UNKNOWN."""

    DELIVERED_INSIDE = "DELIVERED_INSIDE"
    LEFT_AT_DOOR = "LEFT_AT_DOOR"
    HANDED_TO_RECIPIENT = "HANDED_TO_RECIPIENT"
    RETURNED = "RETURNED"
    UNKNOWN = "UNKNOWN"


class ParcelSize(StrEnum):
    """Carrier size class of a parcel."""

    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    LARGE = "LARGE"
    OVERSIZED = "OVERSIZED"


class Parcel(AvroRecord):
    """One parcel of a delivery."""

    __avro_name__: ClassVar[str] = "com.example.delivery.Parcel"

    parcel_id: AvroString
    size: ParcelSize
    weight_kg: Annotated[Decimal, Field(max_digits=7, decimal_places=3)]
    declared_value: Money | None = None

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        declared_value = None if self.declared_value is None else self.declared_value.to_avro()
        return {
            "parcel_id": self.parcel_id,
            "size": self.size,
            "weight_kg": self.weight_kg,
            "declared_value": declared_value,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        size = ParcelSize(datum["size"])
        declared_value = (
            None if datum["declared_value"] is None else Money.from_avro(datum["declared_value"])
        )
        return cls.from_trusted(
            {
                "parcel_id": datum["parcel_id"],
                "size": size,
                "weight_kg": datum["weight_kg"],
                "declared_value": declared_value,
            }
        )


class DeliveryCancelled(Event):
    """A scheduled delivery will not happen."""

    __avro_name__: ClassVar[str] = "com.example.delivery.DeliveryCancelled"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.delivery.DeliveryCancelled"
    )
    __topic__: ClassVar[str] = "deliveries"
    __aggregate_id_field__: ClassVar[str] = "delivery_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    delivery_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    reason: CancellationReason
    refund: Money | None = None
    note: AvroString | None = None

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        refund = None if self.refund is None else self.refund.to_avro()
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "delivery_id": self.delivery_id,
            "reason": self.reason,
            "refund": refund,
            "note": self.note,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        reason = CancellationReason(datum["reason"])
        refund = None if datum["refund"] is None else Money.from_avro(datum["refund"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "delivery_id": datum["delivery_id"],
                "reason": reason,
                "refund": refund,
                "note": datum["note"],
            }
        )


class DeliveryCompleted(Event):
    """The courier finished a delivery."""

    __avro_name__: ClassVar[str] = "com.example.delivery.DeliveryCompleted"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.delivery.DeliveryCompleted"
    )
    __topic__: ClassVar[str] = "deliveries"
    __aggregate_id_field__: ClassVar[str] = "delivery_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    delivery_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    courier_id: AvroString
    outcome: DeliveryOutcome
    proof_photo_sha256: Sha256 | None = None
    door_open_ms: AvroLong | None = None
    """How long the door stood open, in milliseconds."""
    parcel_ids: list[AvroString] = Field(default_factory=list)

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "delivery_id": self.delivery_id,
            "courier_id": self.courier_id,
            "outcome": self.outcome,
            "proof_photo_sha256": self.proof_photo_sha256,
            "door_open_ms": self.door_open_ms,
            "parcel_ids": self.parcel_ids,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        outcome = DeliveryOutcome(datum["outcome"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "delivery_id": datum["delivery_id"],
                "courier_id": datum["courier_id"],
                "outcome": outcome,
                "proof_photo_sha256": datum["proof_photo_sha256"],
                "door_open_ms": datum["door_open_ms"],
                "parcel_ids": datum["parcel_ids"],
            }
        )


class DeliveryScheduled(Event):
    """A carrier booked a delivery to an address with smart-lock access."""

    __avro_name__: ClassVar[str] = "com.example.delivery.DeliveryScheduled"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.delivery.DeliveryScheduled"
    )
    __topic__: ClassVar[str] = "deliveries"
    __aggregate_id_field__: ClassVar[str] = "delivery_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    delivery_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    recipient_id: AvroString
    carrier: AvroString
    address: Address
    window: TimeWindow
    parcels: list[Parcel]
    access_mode: AccessMode
    lock_id: AvroString | None = None
    """The lock the courier will open, if access is by smart lock."""
    instructions: AvroString | None = None
    shipping_fee: Money | None = None

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        address = self.address.to_avro()
        window = self.window.to_avro()
        parcels = [item.to_avro() for item in self.parcels]
        shipping_fee = None if self.shipping_fee is None else self.shipping_fee.to_avro()
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "delivery_id": self.delivery_id,
            "recipient_id": self.recipient_id,
            "carrier": self.carrier,
            "address": address,
            "window": window,
            "parcels": parcels,
            "access_mode": self.access_mode,
            "lock_id": self.lock_id,
            "instructions": self.instructions,
            "shipping_fee": shipping_fee,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        address = Address.from_avro(datum["address"])
        window = TimeWindow.from_avro(datum["window"])
        parcels = [Parcel.from_avro(item) for item in datum["parcels"]]
        access_mode = AccessMode(datum["access_mode"])
        shipping_fee = (
            None if datum["shipping_fee"] is None else Money.from_avro(datum["shipping_fee"])
        )
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "delivery_id": datum["delivery_id"],
                "recipient_id": datum["recipient_id"],
                "carrier": datum["carrier"],
                "address": address,
                "window": window,
                "parcels": parcels,
                "access_mode": access_mode,
                "lock_id": datum["lock_id"],
                "instructions": datum["instructions"],
                "shipping_fee": shipping_fee,
            }
        )
