"""Records of the coordination topic: the elected primary and the schema id high-water mark.

The coordination topic belongs to keybus alone. Its consumer group elects the primary,
and its compacted records tell every instance where the primary is and which ids were
issued, so that no id is issued twice even after compaction drops deleted schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = [
    "HIGH_WATER_MARK_KEY",
    "PRIMARY_KEY",
    "CoordinationRecord",
    "HighWaterMark",
    "PrimaryAnnouncement",
    "decode_coordination",
    "encode_high_water_mark",
    "encode_primary",
]

PRIMARY_KEY = b"primary"
HIGH_WATER_MARK_KEY = b"schema_id_high_water_mark"


@dataclass(frozen=True, slots=True)
class PrimaryAnnouncement:
    """The instance that won the election and the URL it takes forwarded writes on."""

    url: str
    instance_id: str


@dataclass(frozen=True, slots=True)
class HighWaterMark:
    """The largest schema id issued so far."""

    schema_id: int


CoordinationRecord = PrimaryAnnouncement | HighWaterMark


def encode_primary(announcement: PrimaryAnnouncement) -> tuple[bytes, bytes]:
    """Encode the announcement of a new primary."""
    value = {"url": announcement.url, "instance_id": announcement.instance_id}
    return PRIMARY_KEY, json.dumps(value).encode()


def encode_high_water_mark(mark: HighWaterMark) -> tuple[bytes, bytes]:
    """Encode the schema id high-water mark."""
    return HIGH_WATER_MARK_KEY, json.dumps({"schema_id": mark.schema_id}).encode()


def decode_coordination(key: bytes | None, value: bytes | None) -> CoordinationRecord | None:
    """Decode a coordination record, or return None for tombstones and unknown keys."""
    if value is None:
        return None
    document = json.loads(value)
    if key == PRIMARY_KEY:
        return PrimaryAnnouncement(str(document["url"]), str(document["instance_id"]))
    if key == HIGH_WATER_MARK_KEY:
        return HighWaterMark(int(document["schema_id"]))
    return None
