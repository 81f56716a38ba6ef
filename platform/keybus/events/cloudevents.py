"""CloudEvents binary-mode Kafka headers and the W3C `traceparent` header of keybus events."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from keybus.errors import KeybusError

__all__ = [
    "AVRO_CONTENT_TYPE",
    "CloudEventAttributes",
    "Headers",
    "InvalidTraceparentError",
    "check_traceparent",
    "event_headers",
    "new_traceparent",
    "read_headers",
]

AVRO_CONTENT_TYPE = "application/avro"
SPEC_VERSION = "1.0"
_ZERO = timedelta(0)
_RFC3339_UTC = "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

Headers = list[tuple[str, str | bytes | None]]
"""Kafka record headers as confluent-kafka takes them."""


class InvalidTraceparentError(KeybusError):
    """A `traceparent` value does not follow W3C Trace Context level 1."""


@dataclass(frozen=True)
class CloudEventAttributes:
    """The CloudEvents attributes and trace context read from a record's headers."""

    id: str | None
    type: str | None
    source: str | None
    time: str | None
    subject: str | None
    spec_version: str | None
    content_type: str | None
    traceparent: str | None


def new_traceparent() -> str:
    """Return a new sampled W3C `traceparent` with random trace and span ids."""
    ids = os.urandom(24).hex()
    return f"00-{ids[:32]}-{ids[32:]}-01"


def check_traceparent(value: str) -> str:
    """Return `value` if it is a valid version-00 `traceparent`, else raise."""
    match = _TRACEPARENT.match(value)
    if match is None or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        raise InvalidTraceparentError(
            f"traceparent {value!r} is invalid: expected '00-<32 hex trace id>-<16 hex span "
            "id>-<2 hex flags>' in lower case with non-zero ids (W3C Trace Context). Pass "
            "the incoming header unchanged, or omit it to start a new trace."
        )
    return value


def event_headers(
    *,
    event_id: str,
    event_type: str,
    source: str,
    occurred_at: datetime,
    subject: str,
    traceparent: str | None = None,
) -> Headers:
    """Build the CloudEvents binary-mode headers, `content-type` and `traceparent`.

    Values are text; confluent-kafka sends them as UTF-8 bytes, and consumers read bytes.
    """
    return [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", event_id),
        ("ce_type", event_type),
        ("ce_source", source),
        ("ce_time", _rfc3339(occurred_at)),
        ("ce_subject", subject),
        ("content-type", AVRO_CONTENT_TYPE),
        ("traceparent", traceparent or new_traceparent()),
    ]


def read_headers(headers: Sequence[tuple[str, bytes | str | None]] | None) -> CloudEventAttributes:
    """Read CloudEvents attributes and `traceparent` from record headers; missing ones are None."""
    values: dict[str, str] = {}
    for key, raw in headers or ():
        if raw is not None:
            values[key] = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    return CloudEventAttributes(
        id=values.get("ce_id"),
        type=values.get("ce_type"),
        source=values.get("ce_source"),
        time=values.get("ce_time"),
        subject=values.get("ce_subject"),
        spec_version=values.get("ce_specversion"),
        content_type=values.get("content-type"),
        traceparent=values.get("traceparent"),
    )


def _rfc3339(moment: datetime) -> str:
    """Format `moment` in UTC as `isoformat(timespec="milliseconds")` does, in 2/3 of its time."""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        elif moment.utcoffset() != _ZERO:
            moment = moment.astimezone(UTC)
    return _RFC3339_UTC % (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond // 1000,
    )
