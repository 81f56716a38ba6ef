"""The command handler: one Faust agent per aggregate type, the single writer of its streams.

Run it with `keybus run commands` or `faust -A topologies.commands worker`. Settings come
from KEYBUS_* variables (see `keybus.sourcing.SourcingSettings`): Kafka, the registry, the
aggregates to serve and a prefix for their topic names.

Commands arrive on `<stream>.commands`, keyed by aggregate id, so every command of one
aggregate lands in one partition and the worker that owns it is the only writer of that
aggregate. For each command the agent loads the aggregate from a table, checks the
expected version, decides, appends the events to `<stream>` in the command's partition
with versions `n+1, n+2, ...`, stores the new state, writes a snapshot to
`<stream>.snapshots` every N versions and sends a reply to `<stream>.replies`.
Rejected commands get a reply and are never applied.

Events are appended before the state is stored, and Faust commits the command's offset
after both. A crash between the two lets the command run again from the old state: its
events are appended again with the same event ids and versions (ids derive from the
command id), and readers skip versions they have seen.
NOTE: that holds only when `decide` depends on the state and the command alone; a
decision that reads the clock or another service may append different events the second
time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import faust
from confluent_kafka.admin import AdminClient

from keybus.registry.client import RegistryClient
from keybus.sourcing import (
    AggregateType,
    CommandProcessor,
    EventEncoder,
    SourcingSettings,
    StoredAggregate,
    encode_reply,
    encode_snapshot,
    select_aggregates,
)
from keybus.streams import make_app

logger = logging.getLogger(__name__)

settings = SourcingSettings()
APP_NAME = settings.app_id or "keybus-commands"
app = make_app(APP_NAME, settings)
registry = RegistryClient(settings.registry_url)
_admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})


def partition_count(topic: str) -> int:
    """Return the partition count of an existing topic."""
    metadata = _admin.list_topics(topic, timeout=30).topics[topic]
    if metadata.error is not None:
        raise RuntimeError(
            f"Command topic {topic} is missing ({metadata.error.str()}). Create the topics of "
            "deploy/topics.yaml with `keybus topics apply` before starting the handler."
        )
    return len(metadata.partitions)


def raw_topic(name: str, partitions: int | None = None) -> faust.TopicT:
    """Return a Faust topic of raw bytes keys and values."""
    return app.topic(
        name, key_serializer="raw", value_serializer="raw", partitions=partitions, internal=False
    )


def serve(aggregate: AggregateType[Any]) -> None:
    """Declare the table and the agent of one aggregate type."""
    topics = aggregate.topics(settings.topic_prefix)
    partitions = partition_count(topics.commands)
    commands = raw_topic(topics.commands, partitions)
    events = raw_topic(topics.events)
    replies = raw_topic(topics.replies)
    snapshots = raw_topic(topics.snapshots)
    table = app.Table(f"{aggregate.name}-state", default=None, partitions=partitions, key_type=str)
    encoder = EventEncoder(
        registry,
        source=f"urn:keybus:commands:{aggregate.name}",
        topic=topics.events,
        auto_register=settings.auto_register,
        event_types=aggregate.events,
    )
    processor = CommandProcessor(aggregate, encoder)
    every = settings.snapshot_every or aggregate.snapshot_every

    async def handle(stream: faust.StreamT[Any]) -> AsyncIterator[None]:
        async for record in stream.events():
            message = record.message
            key = message.key.decode() if message.key else ""
            stored = StoredAggregate.from_json(table.get(key))
            processed = processor.process(message.key, message.value, stored)
            appended = processed.stored
            for event in processed.events:
                metadata = await (
                    await events.send(
                        key=event.key,
                        value=event.value,
                        headers=event.headers,
                        partition=message.partition,
                    )
                )
                appended = (
                    StoredAggregate(
                        appended.version, appended.state, metadata.partition, metadata.offset
                    )
                    if appended is not None
                    else None
                )
            if appended is not None:
                table[key] = appended.to_json()
                if processed.snapshot_due(every, 0 if stored is None else stored.version):
                    snapshot_key, snapshot_value = encode_snapshot(
                        processor.snapshot(key, appended)
                    )
                    await snapshots.send(key=snapshot_key, value=snapshot_value)
            reply_key, reply_value = encode_reply(processed.reply)
            await replies.send(key=reply_key, value=reply_value)
            yield None

    app.agent(commands, name=f"{APP_NAME}.{aggregate.name}")(handle)
    logger.info(
        "serving aggregate=%s commands=%s events=%s partitions=%s",
        aggregate.name,
        topics.commands,
        topics.events,
        partitions,
    )


for _aggregate in select_aggregates(settings.aggregates):
    serve(_aggregate)
