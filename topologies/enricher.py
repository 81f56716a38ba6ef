"""The enricher: join lock events with the lock directory and write enriched events.

Run it with `keybus run enricher` or `faust -A topologies.enricher worker`. It reads:

- the lock events (KEYBUS_ENRICH_SOURCE, default `lock-devices`),
- the lock directory, a compacted topic of `LockDirectoryEntry` records keyed by lock id
  (KEYBUS_ENRICH_REFERENCE, default `reference.lock-directory`), kept in a Faust table,

and writes one `com.example.access.EnrichedLockEvent` per lock event to
KEYBUS_ENRICH_OUTPUT (default `lock-devices.enriched`), keyed by lock id, with the
original record inside and the original headers kept. Both input topics must have the
same number of partitions (KEYBUS_ENRICH_PARTITIONS) and the same key partitioner, so
that an event and its lock's entry land on the same worker.

Late reference data follows KEYBUS_ENRICH_MISSING: `retry` (the default) parks the
event on the wait topic and looks again every KEYBUS_ENRICH_WAIT_MS milliseconds, up to
KEYBUS_ENRICH_MAX_ATTEMPTS lookups, then emits it with `reference = MISSING`; `mark`
emits it at once with that marker. An event is never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import faust
from faust.types import Message

from keybus.errors import KeybusError
from keybus.registry.client import RegistryClient
from keybus.retry.headers import dead_letter_headers
from keybus.retry.naming import dead_letter_topic_name
from keybus.retry.policy import DeadLetterReason
from keybus.schemas.catalog import Catalog
from keybus.serde import AvroDeserializer, AvroSerializer
from keybus.streams import make_app
from keybus.streams.enrichment import (
    ATTEMPT_HEADER,
    DUE_HEADER,
    Emit,
    EnrichmentPolicy,
    decide,
)
from keybus.streams.registry_decode import plain_event
from keybus.streams.settings import EnricherSettings

logger = logging.getLogger(__name__)

OUTPUT_EVENT = "com.example.access.EnrichedLockEvent"


settings = EnricherSettings()
APP_NAME = settings.app_id or "keybus-enricher"
WAIT_TOPIC = f"{settings.enrich_source}.{APP_NAME}.wait"
DEAD_LETTER_TOPIC = dead_letter_topic_name(settings.enrich_source, APP_NAME)
policy = EnrichmentPolicy(
    missing=settings.enrich_missing,
    wait_ms=settings.enrich_wait_ms,
    max_attempts=settings.enrich_max_attempts,
)

app = make_app(APP_NAME, settings)
registry = RegistryClient(settings.registry_url)
deserializer = AvroDeserializer(registry)
serializer = AvroSerializer(Catalog.load().event(OUTPUT_EVENT).schema, registry, auto_register=True)

# Values are JSON objects; a `value_type` of `dict` would break recovery from the
# changelog after a restart, because Faust expects a Record class there.
directory = app.Table("lock-directory", default=None, partitions=settings.enrich_partitions)
inputs = app.topic(
    settings.enrich_source,
    settings.enrich_reference,
    key_serializer="raw",
    value_serializer="raw",
)
waiting = app.topic(WAIT_TOPIC, key_serializer="raw", value_serializer="raw")
output = app.topic(settings.enrich_output, key_serializer="raw", value_serializer="raw")
dead_letters = app.topic(DEAD_LETTER_TOPIC, key_serializer="raw", value_serializer="raw")


@app.agent(inputs)
async def enrich(stream: faust.StreamT[Any]) -> AsyncIterator[None]:
    """Keep the lock directory up to date and enrich each lock event."""
    async for event in stream.events():
        message = event.message
        if message.topic == settings.enrich_reference:
            remember(message.key, message.value)
        else:
            await handle(message, _headers(message.headers), attempt=1)
        yield None


@app.agent(waiting)
async def retry_waiting(stream: faust.StreamT[Any]) -> AsyncIterator[None]:
    """Look up waiting events again once they are due; this stream alone waits."""
    async for event in stream.events():
        message = event.message
        headers = _headers(message.headers)
        values = dict(headers)
        attempt = int(values.get(ATTEMPT_HEADER, b"2"))
        due_ms = int(values.get(DUE_HEADER, b"0"))
        delay_s = (due_ms - _now_ms()) / 1000
        if delay_s > 0:
            await asyncio.sleep(min(delay_s, policy.wait_ms / 1000))
        kept = [(name, data) for name, data in headers if name not in (ATTEMPT_HEADER, DUE_HEADER)]
        await handle(message, kept, attempt=attempt)
        yield None


def remember(key: bytes | None, value: bytes | None) -> None:
    """Store or delete (on a tombstone) the directory entry of one lock."""
    if key is None:
        logger.warning("directory entry without key ignored topic=%s", settings.enrich_reference)
        return
    lock_id = key.decode()
    if value is None:
        directory.pop(lock_id, None)
        return
    entry = plain_event(deserializer.decode(value).value)
    directory[lock_id] = {"site_id": entry["site_id"], "owner_id": entry["owner_id"]}


async def handle(message: Message, headers: list[tuple[str, bytes]], *, attempt: int) -> None:
    """Enrich one event, let it wait, or park it as a dead letter when it cannot be read."""
    key, value = message.key, message.value
    try:
        decoded = deserializer.decode(value)
    except KeybusError as exc:
        logger.warning("undecodable lock event parked topic=%s error=%s", DEAD_LETTER_TOPIC, exc)
        parked_headers = dead_letter_headers(
            headers,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            timestamp_ms=None if message.timestamp is None else int(message.timestamp * 1000),
            group=APP_NAME,
            error=exc,
            reason=DeadLetterReason.NOT_RETRYABLE,
            now_ms=_now_ms(),
        )
        await dead_letters.send(key=key, value=value, headers=parked_headers)
        return
    event = decoded.value
    reference = directory.get(str(event["lock_id"]))
    outcome = decide(
        event,
        decoded.writer.name or "",
        value or b"",
        reference,
        attempt=attempt,
        now_ms=_now_ms(),
        policy=policy,
    )
    if isinstance(outcome, Emit):
        body = serializer.encode(outcome.value, settings.enrich_output)
        await output.send(key=key, value=body, headers=headers)
        return
    wait_headers = [
        *headers,
        (ATTEMPT_HEADER, str(outcome.attempt).encode()),
        (DUE_HEADER, str(outcome.due_ms).encode()),
    ]
    await waiting.send(key=key, value=value, headers=wait_headers)


def _headers(headers: Any) -> list[tuple[str, bytes]]:
    items = headers.items() if isinstance(headers, dict) else headers or []
    return [(str(name), bytes(data or b"")) for name, data in items]


def _now_ms() -> int:
    return int(time.time() * 1000)
