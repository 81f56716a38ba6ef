"""`keybus demo`: the main job on its embedded default, a local region it starts itself."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import Consumer, KafkaError, Message, Producer
from confluent_kafka.admin import AdminClient
from rich.table import Table

from keybus.cli.console import console, fail
from keybus.cluster import ClusterError, region_cluster
from keybus.errors import KeybusError
from keybus.topics import apply_plan, describe_live, load_topics, plan

__all__ = ["app"]

app = typer.Typer(help="Run the keybus demo on a local region.")

DEMO_TOPIC = "keybus.demo.greetings"


@app.callback(invoke_without_command=True)
def demo(
    events: Annotated[int, typer.Option(min=1, help="Number of events to publish.")] = 12,
    keep: Annotated[bool, typer.Option(help="Leave the local Kafka running afterwards.")] = False,
    topics_file: Annotated[
        Path, typer.Option("--topics-file", help="Topic specs to apply first.")
    ] = Path("deploy/topics.yaml"),
) -> None:
    """Start Kafka, apply the topics, publish events, read them back and report."""
    cluster = region_cluster("east")
    started = False
    try:
        with console.status("Starting the local region east"):
            started = cluster.start()
        servers = cluster.bootstrap_servers
        console.print(f"Kafka east at {servers} ({'started' if started else 'already running'})")
        _apply_topics(topics_file, servers)
        published = _publish(servers, events)
        records = _read_back(servers, published)
        _report(published, records)
    except (ClusterError, KeybusError) as exc:
        fail(exc)
    finally:
        if started and not keep:
            cluster.stop()
            console.print("Stopped the local region east (use --keep to leave it running).")


def _apply_topics(path: Path, servers: str) -> None:
    specs = load_topics(path)
    admin = AdminClient({"bootstrap.servers": servers})
    changes = plan(specs, describe_live(admin, [spec.name for spec in specs]))
    apply_plan(admin, [change for change in changes if not change.is_empty])
    console.print(f"Applied {len(specs)} topic spec(s) from {path}")


def _publish(servers: str, count: int) -> dict[str, dict[str, object]]:
    producer = Producer({"bootstrap.servers": servers, "enable.idempotence": True, "acks": "all"})
    published: dict[str, dict[str, object]] = {}
    for index in range(count):
        event_id = str(uuid.uuid4())
        event: dict[str, object] = {
            "event_id": event_id,
            "occurred_at": datetime.now(UTC).isoformat(),
            "site_id": f"site-{index % 3}",
            "greeting": f"hello #{index}",
        }
        producer.produce(DEMO_TOPIC, key=str(event["site_id"]), value=json.dumps(event).encode())
        published[event_id] = event
    remaining = producer.flush(30)
    if remaining:
        raise KeybusError(f"{remaining} demo events were not acknowledged within 30 s.")
    console.print(f"Published {count} events to {DEMO_TOPIC}")
    return published


def _read_back(servers: str, published: dict[str, dict[str, object]]) -> list[Message]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"keybus-demo-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([DEMO_TOPIC])
    records: list[Message] = []
    deadline = time.monotonic() + 30
    seen: set[str] = set()
    while len(seen) < len(published) and time.monotonic() < deadline:
        for record in consumer.consume(num_messages=500, timeout=1.0):
            error = record.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                raise KeybusError(f"Reading {DEMO_TOPIC} failed: {error}")
            event_id = json.loads(record.value() or b"{}").get("event_id")
            if event_id in published:
                seen.add(event_id)
                records.append(record)
    consumer.close()
    return records


def _report(published: dict[str, dict[str, object]], records: list[Message]) -> None:
    table = Table("partition", "offset", "key", "event_id", "greeting", title="Events read back")
    for record in sorted(records, key=lambda r: (r.partition(), r.offset())):
        event = json.loads(record.value() or b"{}")
        key = (record.key() or b"").decode()
        table.add_row(
            str(record.partition()), str(record.offset()), key, event["event_id"], event["greeting"]
        )
    console.print(table)
    missing = len(published) - len(records)
    console.print(f"published={len(published)} read_back={len(records)} missing={missing}")
    if missing:
        raise KeybusError(f"{missing} published events were not read back within 30 s.")
