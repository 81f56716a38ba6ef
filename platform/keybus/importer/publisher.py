"""A transactional SDK producer that sends records the importer encoded itself."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from keybus.client import Producer
from keybus.client.errors import DeliveryError
from keybus.errors import clause
from keybus.events.cloudevents import (
    AVRO_CONTENT_TYPE,
    SPEC_VERSION,
    Headers,
)

__all__ = [
    "IMPORT_PRODUCER_CONFIG",
    "EventRecordHeaders",
    "ImportProducer",
]

_EPOCH_DATE = date(1970, 1, 1)
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_MAX_HOURS = 100_000
_POLL_EVERY_RECORDS = 1_000

IMPORT_PRODUCER_CONFIG: dict[str, Any] = {
    "linger.ms": 100,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 500_000,
}
"""Producer settings of imports. Records are queued as they are built, inside an open
transaction, and the commit flushes what still waits. A long linger fills batches, so
the client's threads spend less CPU per record. Importing BPI Challenge 2012 took them
about 0.4 CPU seconds at 100 ms, 0.8 at 20 ms and 1.3 to 2.4 at 5 ms. The import's
wall time varied more with the machine's load than with linger.ms. A batch may grow to
1,000,000 bytes, and the queue takes up to 500,000 records, so queueing rarely waits."""


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
        f"{error.name()}: {clause(error.str())}. The transaction is aborted; fix the cause and "
        "run the import again to resume.",
        event_id="<import>",
        event_type="<import>",
        topic=topic,
        kafka_error=error.name(),
        retryable=bool(error.retriable()),
    )


class EventRecordHeaders:
    """Build the CloudEvents headers of imported events, as `event_headers` writes them.

    The `traceparent` is derived from the source, not random. Its trace is the import of
    the file (`trace_id`, 32 hex digits), and its span id is the first 16 hex digits of
    the event id, so the same row always gets the same headers. The headers that are
    equal for every event of an import are built once, and so is the text of each UTC
    hour that `ce_time` starts with.
    """

    def __init__(self, *, event_type: str, source: str, trace_id: str) -> None:
        self._spec_version = ("ce_specversion", SPEC_VERSION)
        self._type = ("ce_type", event_type)
        self._source = ("ce_source", source)
        self._content_type = ("content-type", AVRO_CONTENT_TYPE)
        self._trace_prefix = f"00-{trace_id}-"
        self._hours: dict[int, str] = {}

    def __call__(self, event: dict[str, Any]) -> Headers:
        """Return the headers of one event value built by `EventBuilder`."""
        return self.for_event(event["event_id"], event["occurred_at"], event["case_id"])

    def for_event(self, event_id: str, occurred_at: int, case_id: str) -> Headers:
        """Return the headers of the event with these field values."""
        hour, hour_ms = divmod(occurred_at, _HOUR_MS)
        hour_text = self._hours.get(hour)
        if hour_text is None:
            hour_text = self._hour_text(hour)
        return [
            self._spec_version,
            ("ce_id", event_id),
            self._type,
            self._source,
            ("ce_time", hour_text + _SECONDS_OF_HOUR[hour_ms // 1000] + _MILLIS[hour_ms % 1000]),
            ("ce_subject", case_id),
            self._content_type,
            (
                "traceparent",
                f"{self._trace_prefix}{event_id[:8]}{event_id[9:13]}{event_id[14:18]}-01",
            ),
        ]

    def _hour_text(self, hour: int) -> str:
        if len(self._hours) >= _MAX_HOURS:
            self._hours.clear()
        text = self._hours[hour] = _utc_text(hour * _HOUR_MS)[: len("2011-10-01T00:")]
        return text


def _utc_text(epoch_ms: int) -> str:
    """Return the instant as `datetime.isoformat(timespec="milliseconds")` writes it in UTC."""
    days, day_ms = divmod(epoch_ms, _DAY_MS)
    seconds, millis = divmod(day_ms, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_date_text(days)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}+00:00"


@functools.lru_cache(maxsize=4_096)
def _date_text(days: int) -> str:
    return (_EPOCH_DATE + timedelta(days=days)).isoformat()


_SECONDS_OF_HOUR = tuple(f"{second // 60:02d}:{second % 60:02d}." for second in range(3_600))
"""`MM:SS.` of each second of an hour."""
_MILLIS = tuple(f"{millis:03d}+00:00" for millis in range(1_000))
"""The end of `ce_time` for each millisecond of a second."""
