"""Build the document a pattern is matched against: envelope fields and the event as `detail`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CLOUDEVENTS_HEADERS", "routing_document"]

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
    that `{"exists": false}` and null patterns keep their EventBridge meaning.
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
    document["detail"] = detail
    return document
