"""Producer and consumer throughput: keybus next to raw confluent-kafka, in one run.

The producer loops send the same typical events (DeliveryScheduled, about 300 bytes of
Avro, 8 CloudEvents and trace headers) to their own topic on the same broker with the
same settings (idempotence, acks=all, linger.ms=5): the raw client producing
pre-encoded bytes, bare fastavro encoding plus the raw client (the ceiling for any Avro
producer in Python), a loop with confluent-kafka's own `AvroSerializer`, and
`keybus.Producer`. A second pair
waits for each acknowledgement in turn. The consumer loops read the same topic back:
the raw client with fastavro, and `keybus.Consumer` handing typed models to a handler.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer as ConfluentAvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import schemaless_reader, schemaless_writer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from payloads import typical_events

from common import bench_arguments, broker, create_topic, write_section
from keybus import Consumer, Producer
from keybus.catalog import DeliveryScheduled
from keybus.events import event_headers
from keybus.testing.registry import start_registry

SETTINGS = {"acks": "all", "enable.idempotence": True, "linger.ms": 5}
ROUNDS = 2
Records = list[tuple[bytes, bytes, Any]]


@contextmanager
def registry(servers: str) -> Iterator[str]:
    """Run a keybus registry against `servers` for the benchmark's schemas."""
    with tempfile.TemporaryDirectory(prefix="keybus-bench-registry-") as folder:
        process = start_registry(servers, log_dir=Path(folder))
        try:
            process.wait_ready(primary=True)
            yield process.url
        finally:
            process.stop()


def timed(run: Callable[[], None], count: int) -> float:
    """Run `run` once and return events per wall-clock second."""
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def timed_both(run: Callable[[], None], count: int) -> tuple[float, float]:
    """Run `run` once; return events per wall-clock second and CPU µs per event of this thread."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    run()
    cpu_us = (time.thread_time() - started_cpu) / count * 1e6
    return count / (time.perf_counter() - started), cpu_us


def _produce(producer: KafkaProducer, topic: str, key: bytes, value: bytes, headers: Any) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers)
        except BufferError:
            producer.poll(0.05)
        else:
            return


def raw_loop(servers: str, records: Records) -> Callable[[str], None]:
    """Produce pre-encoded values with pre-built headers, then flush."""
    producer = KafkaProducer({"bootstrap.servers": servers, **SETTINGS})

    def run(topic: str) -> None:
        for key, value, headers in records:
            _produce(producer, topic, key, value, headers)
        producer.flush()

    return run


def fastavro_loop(
    servers: str, events: list[DeliveryScheduled], records: Records
) -> Callable[[str], None]:
    """Encode pre-built dicts with bare fastavro behind a fixed header, then produce."""
    producer = KafkaProducer({"bootstrap.servers": servers, **SETTINGS})
    parsed = DeliveryScheduled.avro_schema().parsed
    dicts = [event.to_avro() for event in events]
    frame_header = records[0][1][:5]

    def run(topic: str) -> None:
        for datum, (key, _, headers) in zip(dicts, records, strict=True):
            buffer = BytesIO()
            buffer.write(frame_header)
            schemaless_writer(buffer, parsed, datum)
            _produce(producer, topic, key, buffer.getvalue(), headers)
        producer.flush()

    return run


def confluent_loop(
    servers: str, url: str, events: list[DeliveryScheduled], records: Records
) -> Callable[[str], None]:
    """Encode each model with confluent-kafka's AvroSerializer, then produce it.

    The loop builds the same CloudEvents headers as keybus, with keybus's function, so
    that both loops send equal records.
    """
    serializer = ConfluentAvroSerializer(
        SchemaRegistryClient({"url": url}),
        DeliveryScheduled.avro_schema().text,
        to_dict=lambda event, ctx: event.to_avro(),
    )
    producer = KafkaProducer({"bootstrap.servers": servers, **SETTINGS})

    def run(topic: str) -> None:
        context = SerializationContext(topic, MessageField.VALUE)
        for event, (key, _, _) in zip(events, records, strict=True):
            headers = event_headers(
                event_id=str(event.event_id),
                event_type=event.__avro_name__,
                source="urn:bench",
                occurred_at=event.occurred_at,
                subject=event.delivery_id,
            )
            _produce(producer, topic, key, serializer(event, context), headers)
        producer.flush()

    return run


def floor_loop(
    servers: str, events: list[DeliveryScheduled], records: Records
) -> Callable[[str], None]:
    """Produce pre-encoded values, but build headers and a delivery callback per event.

    This is what any producer keeping keybus's contract pays besides encoding: the
    CloudEvents headers with this event's id, time and a new `traceparent`, and a
    delivery report per event that names the event when it fails.
    """
    producer = KafkaProducer({"bootstrap.servers": servers, **SETTINGS})

    def run(topic: str) -> None:
        failed: list[str] = []

        def report(event_id: str) -> Callable[[Any, Any], None]:
            def delivered(error: Any, _message: Any) -> None:
                if error is not None:
                    failed.append(event_id)

            return delivered

        for event, (key, value, _) in zip(events, records, strict=True):
            event_id = str(event.event_id)
            headers = event_headers(
                event_id=event_id,
                event_type=event.__avro_name__,
                source="urn:bench",
                occurred_at=event.occurred_at,
                subject=event.delivery_id,
            )
            while True:
                try:
                    producer.produce(
                        topic, value=value, key=key, headers=headers, on_delivery=report(event_id)
                    )
                except BufferError:
                    producer.poll(0.05)
                else:
                    break
        producer.flush()
        if failed:
            raise RuntimeError(f"{len(failed)} records failed, for example {failed[0]}")

    return run


def keybus_loop(servers: str, url: str, events: list[DeliveryScheduled]) -> Callable[[str], None]:
    """Publish each model with Producer.publish_nowait, then flush."""
    producer = Producer(servers, url, auto_register=True, config=SETTINGS)

    def run(topic: str) -> None:
        for event in events:
            producer.publish_nowait(event, topic=topic)
        producer.flush()

    return run


def acknowledged(
    servers: str, url: str, events: list[DeliveryScheduled], records: Records
) -> dict[str, float]:
    """Send one record at a time and wait for its acknowledgement: raw, then keybus."""
    raw = KafkaProducer({"bootstrap.servers": servers, **SETTINGS})
    raw_topic, keybus_topic = _topic(servers, "rawack"), _topic(servers, "kback")

    def run_raw() -> None:
        for key, value, headers in records:
            raw.produce(raw_topic, value=value, key=key, headers=headers)
            raw.flush()

    with Producer(servers, url, auto_register=True, config=SETTINGS) as producer:
        producer.publish(events[0], topic=keybus_topic)
        return {
            "raw_ack": timed(run_raw, len(records)),
            "keybus_ack": timed(lambda: _publish_each(producer, events, keybus_topic), len(events)),
        }


def _publish_each(producer: Producer, events: list[DeliveryScheduled], topic: str) -> None:
    for event in events:
        producer.publish(event, topic=topic)


def consume_raw(servers: str, topic: str, count: int) -> tuple[float, float]:
    """Consume `count` records with the raw client and decode each with fastavro."""
    parsed = DeliveryScheduled.avro_schema().parsed
    consumer = KafkaConsumer(_consumer_settings(servers))
    consumer.subscribe([topic])
    seen = 0
    started, started_cpu = time.perf_counter(), time.thread_time()
    while seen < count:
        for message in consumer.consume(500, 1.0):
            if message.error() is None:
                schemaless_reader(BytesIO(message.value()[5:]), parsed)
                consumer.store_offsets(message=message)
                seen += 1
    rate = count / (time.perf_counter() - started)
    cpu_us = (time.thread_time() - started_cpu) / count * 1e6
    consumer.close()
    return rate, cpu_us


def consume_keybus(servers: str, url: str, topic: str, count: int) -> tuple[float, float]:
    """Consume `count` events with keybus.Consumer and a handler that drops them."""
    with Consumer(servers, f"bench-{uuid.uuid4().hex[:8]}", url, topics=[topic]) as consumer:
        consumer.add_handler(DeliveryScheduled, _discard)
        return timed_both(
            lambda: consumer.run(max_events=count, idle_timeout_s=60, handle_signals=False),
            count,
        )


def _discard(event: Any) -> None:
    """Stand in for a handler that uses the event and keeps no reference to it."""


def _consumer_settings(servers: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": servers,
        "group.id": f"bench-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest",
        "enable.auto.offset.store": False,
        "isolation.level": "read_committed",
    }


def encode_all(servers: str, url: str, events: list[DeliveryScheduled]) -> Records:
    """Encode every event as keybus sends it, before any timing starts."""
    with Producer(servers, url, auto_register=True) as producer:
        prepared = [producer.prepare(event, topic="bench-encoding") for event in events]
    return [(p.key, p.value, p.headers) for p in prepared]


def produce_rates(
    servers: str, url: str, events: list[DeliveryScheduled], records: Records
) -> tuple[dict[str, float], str]:
    """Run the producer loops in interleaved rounds; return best rates and a keybus topic."""
    loops = {
        "raw": raw_loop(servers, records),
        "floor": floor_loop(servers, events, records),
        "fastavro": fastavro_loop(servers, events, records),
        "confluent": confluent_loop(servers, url, events, records),
        "keybus": keybus_loop(servers, url, events),
    }
    best = dict.fromkeys(loops, 0.0)
    cpu = dict.fromkeys(loops, float("inf"))
    keybus_topic = ""
    for _ in range(ROUNDS):
        for name, loop in loops.items():
            topic = _topic(servers, name)
            rate, cpu_us = timed_both(lambda loop=loop, topic=topic: loop(topic), len(events))
            best[name] = max(best[name], rate)
            cpu[name] = min(cpu[name], cpu_us)
            keybus_topic = topic if name == "keybus" else keybus_topic
    return best | {f"{name}_cpu": value for name, value in cpu.items()}, keybus_topic


def main() -> None:
    """Measure the producer and consumer loops and append a markdown section."""
    args = bench_arguments(__doc__ or "").parse_args()
    count = max(1000, int(100_000 * args.scale))
    acknowledged_count = max(200, int(1_000 * args.scale))
    events = typical_events(count)
    with broker(args.bootstrap_servers) as servers, registry(servers) as url:
        records = encode_all(servers, url, events)
        # Keep the collector from rescanning the prebuilt payloads during every loop.
        gc.freeze()
        figures, keybus_topic = produce_rates(servers, url, events, records)
        figures |= acknowledged(
            servers, url, events[:acknowledged_count], records[:acknowledged_count]
        )
        figures["consume_raw"], figures["consume_raw_cpu"] = consume_raw(
            servers, keybus_topic, count
        )
        figures["consume_keybus"], figures["consume_keybus_cpu"] = consume_keybus(
            servers, url, keybus_topic, count
        )
    size = sum(len(value) for _, value, _ in records) / count
    write_section(args.report, _section(figures, count, acknowledged_count, size))


def _topic(servers: str, label: str) -> str:
    return create_topic(servers, f"bench-produce-{label}-{uuid.uuid4().hex[:8]}", partitions=3)


def _section(figures: dict[str, float], count: int, acknowledged_count: int, size: float) -> str:
    raw = figures["raw"]
    rows = [
        ("raw confluent-kafka, pre-encoded bytes", "raw"),
        ("pre-encoded bytes, headers and a delivery callback per event", "floor"),
        ("bare fastavro encode + raw confluent-kafka", "fastavro"),
        ("confluent-kafka AvroSerializer loop", "confluent"),
        ("keybus `Producer.publish_nowait` + `flush`", "keybus"),
    ]
    table = "\n".join(
        f"| {name} | {figures[key]:,.0f} | {figures[key] / raw:.2f} | {figures[key + '_cpu']:.1f} |"
        for name, key in rows
    )
    keybus = figures["keybus"]
    versus_confluent = keybus / figures["confluent"]
    consume_ratio = figures["consume_keybus"] / figures["consume_raw"]
    raw_consume = f"{figures['consume_raw']:,.0f} | {figures['consume_raw_cpu']:.1f}"
    keybus_consume = f"{figures['consume_keybus']:,.0f} | {figures['consume_keybus_cpu']:.1f}"
    return f"""## Producer and consumer: keybus next to raw confluent-kafka

{count:,} DeliveryScheduled events, {size:.0f} bytes framed on average, 8 headers,
3 partitions, acks=all, idempotence, linger.ms=5; wall-clock rate and the CPU time of
the calling thread (librdkafka's own threads excluded), best of {ROUNDS} interleaved
rounds, each on a new topic. Events, dicts and raw bytes are built before timing starts.
The CPU column is the steadier one when other processes share the machine.

| producer loop | events/s | ratio to raw | CPU µs/event, calling thread |
| --- | ---: | ---: | ---: |
{table}

keybus / confluent AvroSerializer loop: **{versus_confluent:.2f}** (target at least 1.0); by
calling-thread CPU per event, {figures["confluent_cpu"] / figures["keybus_cpu"]:.2f}.
keybus / raw bytes: **{keybus / raw:.2f}** (target at least 0.6); keybus / bare fastavro +
raw client: {keybus / figures["fastavro"]:.2f}.
Without any encoding, each event's headers and delivery callback cost
{figures["floor_cpu"]:.1f} µs of calling-thread CPU per event, against
{figures["raw_cpu"]:.1f} µs for raw bytes; a ratio of 0.6 allows
{figures["raw_cpu"] / 0.6:.1f} µs for everything.

Waiting for each acknowledgement ({acknowledged_count:,} events): raw produce+flush
{figures["raw_ack"]:,.0f} events/s, keybus `publish` {figures["keybus_ack"]:,.0f} events/s,
ratio {figures["keybus_ack"] / figures["raw_ack"]:.2f}.

| consumer loop | events/s | CPU µs/event, calling thread |
| --- | ---: | ---: |
| raw `consume()` + fastavro decode + offset store | {raw_consume} |
| keybus `Consumer.run`, typed model to a handler | {keybus_consume} |

keybus consumer / raw loop: **{consume_ratio:.2f}** (target at least 0.9); by
calling-thread CPU per event, {figures["consume_raw_cpu"] / figures["consume_keybus_cpu"]:.2f}.

What limits these figures: the client, the broker and its JVM share one machine, so
wall-clock rates move with whatever else runs. The CPU column is steadier. The raw loop
only hands bytes to librdkafka. keybus encodes each event with an encoder compiled
once for its schema that reads the model's attributes directly (about 13 µs of CPU
for this event, against about 40 µs for fastavro, which the AvroSerializer loop and
the bare fastavro row pay; see the serde section). Most of that is Python's work on
the five decimals, three timestamps and the UUID, which keeps any Python Avro
producer far from 0.6 of raw bytes. keybus then builds the CloudEvents headers and a
`traceparent` (about 2 µs, mostly formatting `ce_time` and `os.urandom`), and a
delivery handle and callback per event (about 1 µs), so that each failure carries its
event id. The consumer loops fetch from the same broker and pay the same librdkafka
cost per record. keybus decodes with the compiled decoder, which builds the nine
models straight from the bytes without validation (about 17 µs, against about 21 µs
for the dicts fastavro builds in the raw loop; see the serde section). Its own work
per record is about 1 µs, because the handler and codec of each writer schema are
resolved once, and the eight headers become Python values only when a handler or
policy reads them. That is why the typed loop can take less CPU than the raw one.
"""


if __name__ == "__main__":
    main()
