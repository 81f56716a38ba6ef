"""The router topology next to a raw confluent-kafka consume-match-produce loop.

Both read the same pre-produced Avro records (framed with the keybus registry), decode
them with keybus's deserializer, match them against the same 100-rule set with
`RuleSet.match`, and write every match to its targets. Throughput is the number of
source records divided by the time between the first and the last output record,
read from the outputs' timestamps, so start-up and group joins are not counted. CPU time
per record is the steadier figure on a shared machine: the raw loop's process time while
it runs, and the router worker's CPU time from when it is ready to when the last output
arrived (the records are produced after the worker is ready).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latency import (
    WARMUP_PREFIX,
    latency_topics,
    publish_steady,
    router_latency_ms,
    write_match_all_rule,
)

from common import bench_arguments, broker, create_topic, write_section
from keybus.registry.client import RegistryClient
from keybus.routing import RuleSet, load_rules, routing_document
from keybus.serde import AvroDeserializer, AvroSerializer
from keybus.streams.registry_decode import plain_event
from keybus.streams.workers import WorkerGroup
from keybus.testing.registry import start_registry

RULES = 100
LATENCY_RATE = 2_000
PARTITIONS = 4
EVENT_TYPE = "com.example.bench.Reading"
SCHEMA = {
    "type": "record",
    "name": "Reading",
    "namespace": "com.example.bench",
    "fields": [
        {"name": "device", "type": "string"},
        {"name": "site", "type": "string"},
        {"name": "value", "type": "int"},
    ],
}


def write_rules(path: Path, source: str, targets: list[str]) -> Path:
    """Write RULES rules on `source`; about one record in ten matches one of them."""
    lines = ["version: 1", "rules:"]
    for index in range(RULES):
        lines += [
            f"  - name: rule-{index}",
            f"    source: {source}",
            f"    pattern: {{type: [{EVENT_TYPE}], detail: {{site: [site-{index}],"
            f" value: [{{numeric: ['>=', {index % 10 * 10}]}}]}}}}",
            f"    targets: [{targets[index % len(targets)]}]",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def encode(registry: RegistryClient, topic: str, count: int) -> list[tuple[str, bytes]]:
    """Return `count` framed records as (key, value), encoded before any timing starts."""
    serializer = AvroSerializer(SCHEMA, registry, auto_register=True)
    records = []
    for n in range(count):
        event = {"device": f"d-{n % 997}", "site": f"site-{n % (RULES * 10)}", "value": n % 100}
        records.append((event["device"], serializer.encode(event, topic)))
    return records


def produce(servers: str, topic: str, records: list[tuple[str, bytes]]) -> None:
    """Write the records with CloudEvents type headers."""
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 20, "enable.idempotence": True})
    headers = [("ce_type", EVENT_TYPE.encode())]
    for key, value in records:
        while True:
            try:
                producer.produce(topic, key=key, value=value, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(120)


def raw_loop(servers: str, registry_url: str, source: str, rules: RuleSet, count: int) -> None:
    """Consume, decode, match and produce with plain confluent-kafka clients."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"raw-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 5, "enable.idempotence": True})
    deserializer = AvroDeserializer(RegistryClient(registry_url))
    consumer.subscribe([source])
    seen = 0
    while seen < count:
        for record in consumer.consume(500, timeout=1.0):
            if record.error() is not None:
                continue
            seen += 1
            detail = plain_event(deserializer.decode(record.value()).value)
            headers = record.headers() or []
            document = routing_document(detail, topic=source, key=record.key(), headers=headers)
            for rule in rules.match(document, topic=source):
                for target in rule.targets:
                    producer.produce(
                        target, key=record.key(), value=record.value(), headers=headers
                    )
            producer.poll(0)
        consumer.commit(asynchronous=True)
    producer.flush(60)
    consumer.close()


def output_span_s(servers: str, targets: list[str], expected: int, timeout_s: float) -> float:
    """Return the time between the first and last output record, from their timestamps."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"span-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe(targets)
    stamps: list[int] = []
    deadline = time.monotonic() + timeout_s
    while len(stamps) < expected and time.monotonic() < deadline:
        stamps.extend(
            r.timestamp()[1] for r in consumer.consume(1000, timeout=1.0) if r.error() is None
        )
    consumer.close()
    if len(stamps) < expected:
        raise RuntimeError(f"only {len(stamps)} of {expected} outputs arrived in {timeout_s} s")
    return max((max(stamps) - min(stamps)) / 1000, 0.001)


def expected_outputs(rules: RuleSet, source: str, count: int) -> int:
    """Count the outputs the rule set gives for the produced events, without Kafka."""
    total = 0
    for n in range(count):
        detail = {"device": f"d-{n % 997}", "site": f"site-{n % (RULES * 10)}", "value": n % 100}
        document = routing_document(detail, topic=source, headers=[("ce_type", EVENT_TYPE)])
        total += sum(len(rule.targets) for rule in rules.match(document, topic=source))
    return total


def measure(servers: str, registry_url: str, count: int, folder: Path) -> dict[str, Any]:
    """Run the raw loop and the router on the same input; return rates and CPU per record."""
    registry = RegistryClient(registry_url)
    rates: dict[str, float] = {}
    cpu_us: dict[str, float] = {}
    match_us: list[float] = []
    for name in ("raw loop", "router", "router exactly once"):
        source = create_topic(servers, f"bench-router-src-{uuid.uuid4().hex[:6]}", PARTITIONS)
        targets = [
            create_topic(servers, f"bench-router-out{i}-{uuid.uuid4().hex[:6]}", 2)
            for i in range(4)
        ]
        rules_path = write_rules(folder / f"{name.replace(' ', '-')}.yaml", source, targets)
        rules = load_rules(rules_path)
        started = time.process_time()
        expected = expected_outputs(rules, source, count)
        match_us.append((time.process_time() - started) / count * 1e6)
        records = encode(registry, source, count)
        if name == "raw loop":
            produce(servers, source, records)
            started = time.process_time()
            raw_loop(servers, registry_url, source, rules, count)
            cpu_us[name] = (time.process_time() - started) / count * 1e6
            rates[name] = count / output_span_s(servers, targets, expected, timeout_s=600)
            continue
        guarantee = "exactly_once" if "exactly" in name else "at_least_once"
        group = start_router(servers, registry_url, rules_path, source, folder, guarantee=guarantee)
        try:
            pid = wait_ready(group)
            started_s = process_cpu_s(pid)
            produce(servers, source, records)
            rates[name] = count / output_span_s(servers, targets, expected, timeout_s=600)
            cpu_us[name] = (process_cpu_s(pid) - started_s) / count * 1e6
        finally:
            group.stop()
    return {"rates": rates, "cpu_us": cpu_us, "expected": expected, "match_us": min(match_us)}


def wait_ready(group: WorkerGroup, timeout_s: float = 120.0) -> int:
    """Wait until the worker logged that it is ready; return its pid."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = group.pid(0)
        if pid is None:
            raise RuntimeError(f"router worker exited; see {group.log_path(0)}")
        if "[^Worker]: Ready" in group.log_path(0).read_text(errors="replace"):
            return pid
        time.sleep(0.2)
    raise RuntimeError(f"router worker not ready in {timeout_s} s; see {group.log_path(0)}")


def process_cpu_s(pid: int) -> float:
    """Return the user and system CPU time of a process and its threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure_latency(servers: str, registry_url: str, folder: Path, rate: int) -> dict[str, Any]:
    """Publish at a steady `rate` through one router worker; return its added latency."""
    source, target = latency_topics(servers, PARTITIONS)
    rules = write_match_all_rule(folder / "latency.yaml", source, target, EVENT_TYPE)
    group = start_router(servers, registry_url, rules, source, folder, guarantee="at_least_once")
    try:
        wait_ready(group)
        registry = RegistryClient(registry_url)
        steady = {"rate": rate, "schema": SCHEMA, "event_type": EVENT_TYPE}
        warmup = publish_steady(
            servers, registry, source, **steady, seconds=2, id_prefix=WARMUP_PREFIX
        )
        count = publish_steady(servers, registry, source, **steady, seconds=10)
        return router_latency_ms(servers, source, target, count, warmup)
    finally:
        group.stop()


def start_router(
    servers: str, registry_url: str, rules: Path, source: str, folder: Path, *, guarantee: str
) -> WorkerGroup:
    """Start one router worker process and return its group, for the caller to stop."""
    group = WorkerGroup(
        with_parent=True,
        topology="router",
        folder=folder / f"workers-{source}",
        environment={
            "KEYBUS_BOOTSTRAP_SERVERS": servers,
            "KEYBUS_REGISTRY_URL": registry_url,
            "KEYBUS_RULES_FILE": str(rules),
            "KEYBUS_APP_ID": f"bench-{source}",
            "KEYBUS_PROCESSING_GUARANTEE": guarantee,
        },
    )
    group.start(1)
    return group


def main() -> None:
    """Measure both and append the section to the report."""
    args = bench_arguments(__doc__ or "").parse_args()
    count = max(2_000, int(40_000 * args.scale))
    with broker(args.bootstrap_servers) as servers, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        registry = start_registry(servers, log_dir=folder)
        try:
            registry.wait_ready(primary=True)
            result = measure(servers, registry.url, count, folder)
            latency = measure_latency(servers, registry.url, folder, LATENCY_RATE)
        finally:
            registry.stop()
    raw, routed = result["rates"]["raw loop"], result["rates"]["router"]
    exactly_once = result["rates"]["router exactly once"]
    cpu = result["cpu_us"]
    match_us = result["match_us"]
    section = f"""## router: Faust router next to a raw consume-match-produce loop

{count:,} records ({PARTITIONS} partitions) against {RULES} rules giving {result["expected"]:,}
outputs; one Faust worker (batches of what was fetched, up to 500 records) against one
confluent-kafka consumer and producer doing the same decoding and matching.

| pipeline | records/s | ratio to raw loop | CPU µs/record | CPU ratio (raw / this) |
| --- | ---: | ---: | ---: | ---: |
| raw confluent-kafka loop | {raw:,.0f} | 1.00 | {cpu["raw loop"]:.0f} | 1.00 |
| router topology (Faust), at least once | {routed:,.0f} | {routed / raw:.2f} \
| {cpu["router"]:.0f} | {cpu["raw loop"] / cpu["router"]:.2f} |
| router topology (Faust), exactly once | {exactly_once:,.0f} | {exactly_once / raw:.2f} \
| {cpu["router exactly once"]:.0f} | {cpu["raw loop"] / cpu["router exactly once"]:.2f} |

Exactly once runs at {exactly_once / routed:.2f} of at least once by rate and
{cpu["router"] / cpu["router exactly once"]:.2f} by CPU time.

Added latency at a steady {LATENCY_RATE:,} events/s for 10 s after 2 s of warm-up, every
event matching one rule (at least once): from the source record's append time to its
output's append time, both stamped by the broker. p50 {latency["p50"]:.0f} ms,
p90 {latency["p90"]:.0f} ms, p99 {latency["p99"]:.0f} ms, max {latency["max"]:.0f} ms.

Both share the two cores with the broker and the registry. Matching an event against
the {RULES} rules (`routing_document` and `RuleSet.match`) costs {match_us:.0f} µs of CPU
time, timed on the same events without Kafka: {match_us / cpu["raw loop"]:.0%} of the raw
loop's CPU time per record and {match_us / cpu["router"]:.0%} of the router's.
The raw loop adds decoding and librdkafka's fetch and produce, which run in C threads.
The router adds the same decoding and Faust's path for each record, in Python. That
path is aiokafka's fetch, a Faust message and event, the hand-over from the fetcher to
the stream buffer and the take batch, an ack, and aiokafka's produce for the outputs.
Under at least once, a batch waits until Kafka acknowledged its outputs before the next
batch is routed.
"""
    write_section(args.report, section)


if __name__ == "__main__":
    main()
