"""Generated bindings of Avro namespace com.example.reference; do not edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, Field

from keybus.events import AvroString, Event, packaged_schema, utc_now

__all__ = [
    "LockDirectoryEntry",
]


class LockDirectoryEntry(Event):
    """Reference data of one installed lock: where it is and who owns it. The latest
    entry per lock_id is the current one (compacted topic).
    """

    __avro_name__: ClassVar[str] = "com.example.reference.LockDirectoryEntry"
    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(
        "keybus.catalog", "com.example.reference.LockDirectoryEntry"
    )
    __topic__: ClassVar[str] = "reference.lock-directory"
    __aggregate_id_field__: ClassVar[str] = "lock_id"

    event_id: UUID = Field(default_factory=uuid4)
    """Unique id of this entry, a UUID."""
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    """When the entry was recorded, in UTC milliseconds since the Unix epoch."""
    lock_id: AvroString
    """The lock; also the record key."""
    site_id: AvroString
    """The site (building or address) the lock is installed at."""
    owner_id: AvroString
    """The customer who owns the lock."""
    timezone: AvroString | None = None
    """IANA time zone of the site, such as Europe/Berlin."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at,
            "lock_id": self.lock_id,
            "site_id": self.site_id,
            "owner_id": self.owner_id,
            "timezone": self.timezone,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        return cls.from_trusted(
            {
                "event_id": datum["event_id"],
                "occurred_at": datum["occurred_at"],
                "lock_id": datum["lock_id"],
                "site_id": datum["site_id"],
                "owner_id": datum["owner_id"],
                "timezone": datum["timezone"],
            }
        )
