"""A transactional SDK producer that sends records the importer encoded itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from keybus.client import Producer
from keybus.client.delivery import DeliveryHandle
from keybus.client.producer import _Prepared
from keybus.events.cloudevents import Headers, event_headers

__all__ = ["IMPORT_PRODUCER_CONFIG", "ImportProducer", "event_record_headers"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Larger batches than the SDK default: an import sends many records per transaction
# and waits only at the commit.
IMPORT_PRODUCER_CONFIG: dict[str, Any] = {
    "linger.ms": 20,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 500_000,
}


class ImportProducer(Producer):
    """The SDK producer with a call to send an already encoded record without waiting.

    NOTE: it reuses the producer's private `_send` and `_Prepared`, because the public
    `publish_dict` waits for each acknowledgement, which inside a transaction of
    thousands of events costs one round trip per event. A public non-waiting variant
    of `publish_dict` in `keybus.client` would remove this coupling.
    """

    def send_encoded(
        self,
        topic: str,
        *,
        key: bytes,
        value: bytes,
        headers: Headers,
        event_id: str,
        event_type: str,
    ) -> DeliveryHandle:
        """Queue one encoded record; delivery errors surface at the transaction commit."""
        record = _Prepared(topic, key, value, headers, event_id, event_type)
        return self._send(record)


def event_record_headers(event: dict[str, Any], event_type: str, source: str) -> Headers:
    """Build the CloudEvents headers of one imported event."""
    return event_headers(
        event_id=event["event_id"],
        event_type=event_type,
        source=source,
        occurred_at=_EPOCH + timedelta(milliseconds=event["occurred_at"]),
        subject=event["case_id"],
    )
