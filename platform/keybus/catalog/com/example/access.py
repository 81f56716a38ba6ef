"""Generated bindings of Avro namespace com.example.access; do not edit."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, Field

from keybus.catalog.com.example.common import Sha256, TimeWindow
from keybus.events import (
    AvroBytes,
    AvroFloat,
    AvroInt,
    AvroLong,
    AvroRecord,
    AvroString,
    Event,
    decode_union,
    encode_union,
    packaged_schema,
    record_union,
    utc_now,
)

__all__ = [
    "AccessGranted",
    "AccessMethod",
    "AccessRevoked",
    "CourierGrantee",
    "DeviceStatus",
    "DeviceStatusChanged",
    "DoorLocked",
    "DoorUnlocked",
    "EnrichedLockEvent",
    "GrantUsed",
    "GuestGrantee",
    "LockTrigger",
    "ReferenceStatus",
    "RevocationReason",
]


class AccessMethod(StrEnum):
    """How a lock was opened or a grant is used."""

    PIN = "PIN"
    BLUETOOTH = "BLUETOOTH"
    REMOTE = "REMOTE"
    KEY = "KEY"


class CourierGrantee(AvroRecord):
    """A courier of a carrier."""

    __avro_name__: ClassVar[str] = "com.example.access.CourierGrantee"

    courier_id: AvroString
    carrier: AvroString

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "courier_id": self.courier_id,
            "carrier": self.carrier,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        return cls.from_trusted(
            {
                "courier_id": datum["courier_id"],
                "carrier": datum["carrier"],
            }
        )


class DeviceStatus(StrEnum):
    """Avro enum com.example.access.DeviceStatus."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    LOW_BATTERY = "LOW_BATTERY"
    JAMMED = "JAMMED"
    TAMPERED = "TAMPERED"
    UNKNOWN = "UNKNOWN"


class GuestGrantee(AvroRecord):
    """A named guest invited by the resident."""

    __avro_name__: ClassVar[str] = "com.example.access.GuestGrantee"

    guest_id: AvroString
    display_name: AvroString | None = None

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "guest_id": self.guest_id,
            "display_name": self.display_name,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        return cls.from_trusted(
            {
                "guest_id": datum["guest_id"],
                "display_name": datum["display_name"],
            }
        )


class LockTrigger(StrEnum):
    """Avro enum com.example.access.LockTrigger."""

    AUTO_RELOCK = "AUTO_RELOCK"
    MANUAL = "MANUAL"
    REMOTE = "REMOTE"
    KEY = "KEY"


class ReferenceStatus(StrEnum):
    """FOUND: site and owner come from the lock directory. MISSING: no entry arrived
    within the enricher's wait budget.
    """

    FOUND = "FOUND"
    MISSING = "MISSING"


class RevocationReason(StrEnum):
    """Avro enum com.example.access.RevocationReason."""

    EXPIRED = "EXPIRED"
    DELIVERY_CANCELLED = "DELIVERY_CANCELLED"
    REVOKED_BY_RESIDENT = "REVOKED_BY_RESIDENT"
    SECURITY = "SECURITY"
    OTHER = "OTHER"


class AccessGranted(Event):
    """A resident or a delivery granted time-boxed access to a lock."""

    __avro_name__: ClassVar[str] = "com.example.access.AccessGranted"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.AccessGranted"
    )
    __topic__: ClassVar[str] = "access-grants"
    __aggregate_id_field__: ClassVar[str] = "grant_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    grant_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    lock_id: AvroString
    grantee: Annotated[CourierGrantee | GuestGrantee, record_union(CourierGrantee, GuestGrantee)]
    validity: TimeWindow
    method: AccessMethod
    max_entries: AvroInt = 1
    """How many times the grant may open the lock."""
    delivery_id: AvroString | None = None

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        grantee = encode_union(self.grantee)
        validity = self.validity.to_avro()
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "grant_id": self.grant_id,
            "lock_id": self.lock_id,
            "grantee": grantee,
            "validity": validity,
            "method": self.method,
            "max_entries": self.max_entries,
            "delivery_id": self.delivery_id,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        grantee = decode_union(datum["grantee"], _COURIERGRANTEE_GUESTGRANTEE_BRANCHES)
        validity = TimeWindow.from_avro(datum["validity"])
        method = AccessMethod(datum["method"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "grant_id": datum["grant_id"],
                "lock_id": datum["lock_id"],
                "grantee": grantee,
                "validity": validity,
                "method": method,
                "max_entries": datum["max_entries"],
                "delivery_id": datum["delivery_id"],
            }
        )


class AccessRevoked(Event):
    """An access grant stopped being valid before or at its end."""

    __avro_name__: ClassVar[str] = "com.example.access.AccessRevoked"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.AccessRevoked"
    )
    __topic__: ClassVar[str] = "access-grants"
    __aggregate_id_field__: ClassVar[str] = "grant_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    grant_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    lock_id: AvroString
    reason: RevocationReason
    revoked_by: AvroString | None = None

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "grant_id": self.grant_id,
            "lock_id": self.lock_id,
            "reason": self.reason,
            "revoked_by": self.revoked_by,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        reason = RevocationReason(datum["reason"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "grant_id": datum["grant_id"],
                "lock_id": datum["lock_id"],
                "reason": reason,
                "revoked_by": datum["revoked_by"],
            }
        )


class DeviceStatusChanged(Event):
    """A lock device reported a new health status."""

    __avro_name__: ClassVar[str] = "com.example.access.DeviceStatusChanged"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.DeviceStatusChanged"
    )
    __topic__: ClassVar[str] = "lock-devices"
    __aggregate_id_field__: ClassVar[str] = "lock_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    lock_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    status: DeviceStatus
    previous_status: DeviceStatus | None = None
    battery_percent: AvroInt | None = None
    signal_dbm: AvroFloat | None = None
    firmware_version: AvroString
    firmware_sha256: Sha256 | None = None
    attributes: dict[str, AvroString] = Field(default_factory=dict)
    """Vendor-specific diagnostics as text."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "lock_id": self.lock_id,
            "status": self.status,
            "previous_status": self.previous_status,
            "battery_percent": self.battery_percent,
            "signal_dbm": self.signal_dbm,
            "firmware_version": self.firmware_version,
            "firmware_sha256": self.firmware_sha256,
            "attributes": self.attributes,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        status = DeviceStatus(datum["status"])
        previous_status = (
            None if datum["previous_status"] is None else DeviceStatus(datum["previous_status"])
        )
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "lock_id": datum["lock_id"],
                "status": status,
                "previous_status": previous_status,
                "battery_percent": datum["battery_percent"],
                "signal_dbm": datum["signal_dbm"],
                "firmware_version": datum["firmware_version"],
                "firmware_sha256": datum["firmware_sha256"],
                "attributes": datum["attributes"],
            }
        )


class DoorLocked(Event):
    """A smart lock locked its door."""

    __avro_name__: ClassVar[str] = "com.example.access.DoorLocked"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.DoorLocked"
    )
    __topic__: ClassVar[str] = "lock-devices"
    __aggregate_id_field__: ClassVar[str] = "lock_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    lock_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    trigger: LockTrigger
    open_duration_ms: AvroLong
    """How long the door was unlocked."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "lock_id": self.lock_id,
            "trigger": self.trigger,
            "open_duration_ms": self.open_duration_ms,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        trigger = LockTrigger(datum["trigger"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "lock_id": datum["lock_id"],
                "trigger": trigger,
                "open_duration_ms": datum["open_duration_ms"],
            }
        )


class DoorUnlocked(Event):
    """A smart lock unlocked its door."""

    __avro_name__: ClassVar[str] = "com.example.access.DoorUnlocked"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.DoorUnlocked"
    )
    __topic__: ClassVar[str] = "lock-devices"
    __aggregate_id_field__: ClassVar[str] = "lock_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    lock_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    grant_id: AvroString | None = None
    """The grant used, if the lock was opened with one."""
    method: AccessMethod
    battery_percent: AvroInt | None = None
    courier_id: AvroString | None = None
    """The courier who opened the door; added in version 2."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "lock_id": self.lock_id,
            "grant_id": self.grant_id,
            "method": self.method,
            "battery_percent": self.battery_percent,
            "courier_id": self.courier_id,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        method = AccessMethod(datum["method"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "lock_id": datum["lock_id"],
                "grant_id": datum["grant_id"],
                "method": method,
                "battery_percent": datum["battery_percent"],
                "courier_id": datum["courier_id"],
            }
        )


class EnrichedLockEvent(Event):
    """A lock event joined with the lock's directory entry by the enricher. The
    original record travels unchanged in `original`, in the Confluent wire format.
    """

    __avro_name__: ClassVar[str] = "com.example.access.EnrichedLockEvent"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.EnrichedLockEvent"
    )
    __topic__: ClassVar[str] = "lock-devices.enriched"
    __aggregate_id_field__: ClassVar[str] = "lock_id"

    event_id: UUID = Field(default_factory=uuid4)
    """The event_id of the original event."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the original event happened, in UTC milliseconds since the Unix epoch."""
    lock_id: AvroString
    """The lock; also the record key."""
    event_type_: AvroString = Field(alias="event_type")
    """Avro full name of the original event."""
    site_id: AvroString | None = None
    """Site of the lock; null when the reference was missing."""
    owner_id: AvroString | None = None
    """Owner of the lock; null when the reference was missing."""
    reference: ReferenceStatus
    """Whether the join found the lock's directory entry."""
    attempts: AvroInt
    """How many times the enricher looked the lock up, from 1."""
    original: AvroBytes
    """The original record value, unchanged."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "lock_id": self.lock_id,
            "event_type": self.event_type_,
            "site_id": self.site_id,
            "owner_id": self.owner_id,
            "reference": self.reference,
            "attempts": self.attempts,
            "original": self.original,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        reference = ReferenceStatus(datum["reference"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "lock_id": datum["lock_id"],
                "event_type_": datum["event_type"],
                "site_id": datum["site_id"],
                "owner_id": datum["owner_id"],
                "reference": reference,
                "attempts": datum["attempts"],
                "original": datum["original"],
            }
        )


class GrantUsed(Event):
    """The holder of an access grant was allowed to open the grant's lock with it."""

    __avro_name__: ClassVar[str] = "com.example.access.GrantUsed"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.access.GrantUsed"
    )
    __topic__: ClassVar[str] = "access-grants"
    __aggregate_id_field__: ClassVar[str] = "grant_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this event, a UUID; consumers use it to drop duplicates."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the fact happened, in UTC milliseconds since the Unix epoch."""
    grant_id: AvroString
    """Id of the aggregate this event belongs to; the record key."""
    lock_id: AvroString
    holder_id: AvroString
    """The courier_id or guest_id of the grantee who opened the lock."""
    method: AccessMethod
    entry: AvroInt
    """Which use of the grant this is, from 1 up to the grant's max_entries."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "grant_id": self.grant_id,
            "lock_id": self.lock_id,
            "holder_id": self.holder_id,
            "method": self.method,
            "entry": self.entry,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        method = AccessMethod(datum["method"])
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "grant_id": datum["grant_id"],
                "lock_id": datum["lock_id"],
                "holder_id": datum["holder_id"],
                "method": method,
                "entry": datum["entry"],
            }
        )


_COURIERGRANTEE_GUESTGRANTEE_BRANCHES: dict[str, type[AvroRecord]] = {
    CourierGrantee.__avro_name__: CourierGrantee,
    GuestGrantee.__avro_name__: GuestGrantee,
}
