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

from keybus.kafka import AdminClient
from keybus.registry.client import RegistryClient
from keybus.sourcing import (
    AggregateType,
    CommandProcessor,
    EncodedEvent,
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


class AggregateAgent:
    """The topics, table and processor of one aggregate type, and its per-command steps."""

    def __init__(self, aggregate: AggregateType[Any]) -> None:
        topics = aggregate.topics(settings.topic_prefix)
        self.partitions = partition_count(topics.commands)
        event_partitions = partition_count(topics.events)
        if event_partitions != self.partitions:
            raise RuntimeError(
                f"Topic {topics.events} has {event_partitions} partitions and "
                f"{topics.commands} has {self.partitions}. Give them the same count: events "
                "go to the partition number of their command."
            )
        self.aggregate = aggregate
        self.topics = topics
        self.commands = raw_topic(topics.commands, self.partitions)
        self.events = raw_topic(topics.events)
        self.replies = raw_topic(topics.replies)
        self.snapshots = raw_topic(topics.snapshots)
        self.table = app.Table(
            f"{aggregate.name}-state", default=None, partitions=self.partitions, key_type=str
        )
        encoder = EventEncoder(
            registry,
            source=f"urn:keybus:commands:{aggregate.name}",
            topic=topics.events,
            auto_register=settings.auto_register,
            event_types=aggregate.events,
        )
        self.processor = CommandProcessor(aggregate, encoder)
        self.snapshot_every = settings.snapshot_every or aggregate.snapshot_every

    async def handle(self, message: Any) -> None:
        """Decide one command, append its events, store the state, snapshot and reply."""
        key = message.key.decode() if message.key else ""
        stored = StoredAggregate.from_json(self.table.get(key))
        processed = self.processor.process(message.key, message.value, stored)
        if processed.stored is not None:
            appended = await self.append(processed.stored, processed.events, message.partition)
            self.table[key] = appended.to_json()
            if processed.snapshot_due(self.snapshot_every, 0 if stored is None else stored.version):
                snapshot_key, snapshot_value = encode_snapshot(
                    self.processor.snapshot(key, appended)
                )
                await self.snapshots.send(key=snapshot_key, value=snapshot_value)
        reply_key, reply_value = encode_reply(processed.reply)
        await self.replies.send(key=reply_key, value=reply_value)

    async def append(
        self, stored: StoredAggregate, events: list[EncodedEvent], partition: int
    ) -> StoredAggregate:
        """Send the events and wait for each acknowledgement; return the state to store."""
        for event in events:
            pending = await self.events.send(
                key=event.key, value=event.value, headers=event.headers, partition=partition
            )
            metadata = await pending
            stored = StoredAggregate(
                stored.version, stored.state, metadata.partition, metadata.offset
            )
        return stored

    def declare(self) -> None:
        """Declare the Faust agent that reads the aggregate's commands."""

        async def handle(stream: faust.StreamT[Any]) -> AsyncIterator[None]:
            async for record in stream.events():
                await self.handle(record.message)
                yield None

        app.agent(self.commands, name=f"{APP_NAME}.{self.aggregate.name}")(handle)
        logger.info(
            "serving aggregate=%s commands=%s events=%s partitions=%s",
            self.aggregate.name,
            self.topics.commands,
            self.topics.events,
            self.partitions,
        )


agents = [AggregateAgent(aggregate) for aggregate in select_aggregates(settings.aggregates)]
for _agent in agents:
    _agent.declare()
