"""The router's own added latency at a steady rate, from source append to output append.

Both the source and the target topic stamp records with the broker's append time
(`message.timestamp.type=LogAppendTime`). The difference per record is therefore the
router's own time: fetch, batching, decoding, matching and the produce round trip. The
publisher's and any downstream consumer's share are left out.
"""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from keybus.registry.client import RegistryClient
from keybus.serde import AvroSerializer

__all__ = [
    "WARMUP_PREFIX",
    "latency_topics",
    "publish_steady",
    "router_latency_ms",
    "write_match_all_rule",
]

APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}
WARMUP_PREFIX = "warmup-"
"""Id prefix of the events published first, while the worker fetches metadata and schemas."""


def latency_topics(servers: str, partitions: int) -> tuple[str, str]:
    """Create a source and a target topic stamped with append time; return their names."""
    suffix = uuid.uuid4().hex[:6]
    source, target = f"bench-latency-src-{suffix}", f"bench-latency-out-{suffix}"
    admin = AdminClient({"bootstrap.servers": servers})
    futures = admin.create_topics(
        [
            NewTopic(source, partitions, 1, config=APPEND_TIME),
            NewTopic(target, 2, 1, config=APPEND_TIME),
        ]
    )
    for future in futures.values():
        future.result()
    return source, target


def write_match_all_rule(path: Path, source: str, target: str, event_type: str) -> Path:
    """Write one rule that sends every event of `source` to `target`."""
    path.write_text(
        f"version: 1\nrules:\n  - name: all\n    source: {source}\n"
        f"    pattern: {{type: [{event_type}]}}\n    targets: [{target}]\n"
    )
    return path


def publish_steady(
    servers: str,
    registry: RegistryClient,
    topic: str,
    schema: dict[str, Any],
    event_type: str,
    *,
    rate: int,
    seconds: float,
    id_prefix: str = "",
) -> int:
    """Publish `rate` events per second for `seconds`, in 10 ms steps; return the count.

    Each event's `ce_id` header is `id_prefix` followed by its number.
    """
    serializer = AvroSerializer(schema, registry, auto_register=True)
    count = int(rate * seconds)
    values = [
        serializer.encode({"device": f"d-{n % 97}", "site": "site-0", "value": n % 100}, topic)
        for n in range(count)
    ]
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 1, "enable.idempotence": True})
    per_step = max(1, rate // 100)
    started = time.monotonic()
    for step, first in enumerate(range(0, count, per_step)):
        delay = started + step * 0.01 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        for n in range(first, min(first + per_step, count)):
            headers = [("ce_type", event_type.encode()), ("ce_id", f"{id_prefix}{n}".encode())]
            producer.produce(topic, key=f"d-{n % 97}", value=values[n], headers=headers)
        producer.poll(0)
    producer.flush(60)
    return count


def _append_times(servers: str, topic: str, expected: int, timeout_s: float) -> dict[bytes, int]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"latency-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    stamps: dict[bytes, int] = {}
    deadline = time.monotonic() + timeout_s
    while len(stamps) < expected and time.monotonic() < deadline:
        for record in consumer.consume(1000, timeout=0.5):
            if record.error() is None:
                event_id = dict(record.headers() or [])[("ce_id")]
                stamps.setdefault(event_id, record.timestamp()[1])
    consumer.close()
    return stamps


def router_latency_ms(
    servers: str, source: str, target: str, expected: int, warmup: int
) -> dict[str, float]:
    """Return percentiles of output append time minus source append time, in ms.

    The first `warmup` events, whose ids start with WARMUP_PREFIX, are left out.
    """
    sources = _append_times(servers, source, expected + warmup, timeout_s=120)
    outputs = _append_times(servers, target, expected + warmup, timeout_s=120)
    delays = sorted(
        outputs[key] - sources[key]
        for key in outputs
        if key in sources and not key.startswith(WARMUP_PREFIX.encode())
    )
    if len(delays) < expected:
        raise RuntimeError(f"only {len(delays)} of {expected} outputs arrived")
    cuts = statistics.quantiles(delays, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": float(delays[-1])}
