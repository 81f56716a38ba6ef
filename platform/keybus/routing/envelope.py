"""Build the document a pattern is matched against: envelope fields and the event as `detail`."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CLOUDEVENTS_HEADERS", "json_values", "routing_document"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

CLOUDEVENTS_HEADERS = {
    "ce_id": "id",
    "ce_type": "type",
    "ce_source": "source",
    "ce_subject": "subject",
    "ce_time": "time",
    "ce_specversion": "specversion",
    "content-type": "content-type",
}
"""Record header name to the envelope field that carries its value."""

Headers = Mapping[str, bytes | str | None] | Iterable[tuple[str, bytes | str | None]]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _header_items(headers: Headers | None) -> Iterable[tuple[str, bytes | str | None]]:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return headers.items()
    return headers


def _json_scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (aware - _EPOCH) // dt.timedelta(milliseconds=1)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def json_values(value: Any) -> Any:
    """Return `value` with Avro logical types turned into the JSON values patterns test.

    Timestamps become UTC epoch milliseconds, the JSON form of Avro's timestamp-millis, so
    `numeric` ranges apply to them. Dates and times become ISO 8601 text, decimals become
    numbers and UUIDs text. Bytes become text with one character per byte (latin-1), as
    in Avro's JSON encoding.
    """
    kind = type(value)
    if kind is dict:
        return {key: json_values(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [json_values(item) for item in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    return _json_scalar(value)


def routing_document(
    detail: Any,
    *,
    topic: str,
    key: bytes | str | None = None,
    headers: Headers | None = None,
    partition: int | None = None,
    offset: int | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """Return `{"id", "type", "source", ..., "topic", "key", "detail"}` for one record.

    Envelope fields come from the CloudEvents headers (`ce_type` becomes `type`) and from
    the record itself. Fields without a value are left out rather than set to null, so
    that `{"exists": false}` and null patterns keep their EventBridge meaning. The event
    goes through `json_values`, so decoded Avro timestamps and decimals match as numbers.
    """
    document: dict[str, Any] = {}
    for name, value in _header_items(headers):
        field = CLOUDEVENTS_HEADERS.get(name)
        if field is not None and value is not None:
            document[field] = _text(value)
    document["topic"] = topic
    optional = {"partition": partition, "offset": offset, "timestamp": timestamp_ms}
    document.update({name: value for name, value in optional.items() if value is not None})
    if key is not None:
        document["key"] = _text(key)
    document["detail"] = json_values(detail)
    return document
