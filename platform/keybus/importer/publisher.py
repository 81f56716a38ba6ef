"""A transactional SDK producer that sends records the importer encoded itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from keybus.client import Producer
from keybus.client.errors import DeliveryError
from keybus.events.cloudevents import Headers, event_headers

__all__ = ["IMPORT_PRODUCER_CONFIG", "ImportProducer", "event_record_headers"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_POLL_EVERY_RECORDS = 1_000

IMPORT_PRODUCER_CONFIG: dict[str, Any] = {
    "linger.ms": 20,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 500_000,
}
"""Producer settings of imports: larger batches, because an import sends many records per
transaction and waits only at the commit."""


class ImportProducer(Producer):
    """The SDK producer with a call that queues an encoded record without a delivery handle.

    Inside a transaction a failed delivery makes the commit fail, so the import needs no
    handle per record; `publish_dict` would wait for each acknowledgement instead.

    NOTE: it calls the confluent-kafka client the SDK producer keeps in `_kafka`. A
    public non-waiting variant of `publish_dict` in `keybus.client` would remove this
    coupling.
    """

    _queued = 0

    def send_encoded(self, topic: str, *, key: bytes, value: bytes, headers: Headers) -> None:
        """Queue one encoded record; a delivery failure surfaces at the transaction commit.

        Raises:
            DeliveryError: the client rejected the record, for example as too large.
        """
        while True:
            try:
                self._kafka.produce(topic, value=value, key=key, headers=headers)
            except BufferError:
                # The local queue is full: serve delivery reports to make room, then retry.
                self._kafka.poll(0.05)
            except KafkaException as exc:
                raise _queue_error(exc, topic, key) from exc
            else:
                break
        self._queued += 1
        if self._queued % _POLL_EVERY_RECORDS == 0:
            self._kafka.poll(0)


def _queue_error(exc: KafkaException, topic: str, key: bytes) -> DeliveryError:
    error: KafkaError = exc.args[0]
    return DeliveryError(
        f"Record with key {key[:80]!r} could not be queued for topic {topic}: "
        f"{error.name()}: {error.str()}. The transaction is aborted; fix the cause and "
        "run the import again to resume.",
        event_id="<import>",
        event_type="<import>",
        topic=topic,
        kafka_error=error.name(),
        retryable=bool(error.retriable()),
    )


def event_record_headers(
    event: dict[str, Any], *, event_type: str, source: str, trace_id: str
) -> Headers:
    """Build the CloudEvents headers of one imported event.

    The `traceparent` is derived from the source, not random. Its trace is the import of
    the file (`trace_id`, 32 hex digits), and its span id is the first 16 hex digits of
    the event id, so the same row always gets the same headers.
    """
    event_id: str = event["event_id"]
    span_id = event_id.replace("-", "")[:16]
    return event_headers(
        event_id=event_id,
        event_type=event_type,
        source=source,
        occurred_at=_EPOCH + timedelta(milliseconds=event["occurred_at"]),
        subject=event["case_id"],
        traceparent=f"00-{trace_id}-{span_id}-01",
    )
