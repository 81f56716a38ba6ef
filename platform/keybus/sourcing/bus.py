"""Send commands to the command handler and wait for its replies."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Self

from confluent_kafka import TopicPartition

from keybus.batches import poll_batch
from keybus.kafka import Consumer, Producer
from keybus.sourcing.aggregate import AggregateType, Command
from keybus.sourcing.errors import SourcingError
from keybus.sourcing.offsets import partition_ids, watermarks
from keybus.sourcing.wire import CommandReply, decode_reply, encode_command

__all__ = ["CommandBus", "CommandTimeoutError"]

logger = logging.getLogger(__name__)


class CommandTimeoutError(SourcingError):
    """No reply to a command arrived in time; the command may still be handled later."""

    retryable = True


class CommandBus:
    """Send commands of the given aggregate types and collect the handler's replies.

    Replies are read from every aggregate's replies topic from the moment the bus is
    created, by a background thread, so a reply that arrives before `send` waits for it
    is kept.

    Args:
        bootstrap_servers: Kafka's `bootstrap.servers`.
        aggregates: the aggregate types whose commands this bus sends.
        topic_prefix: the prefix of their topics, as the handler was started with.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        aggregates: Iterable[AggregateType[Any]],
        *,
        topic_prefix: str = "",
    ) -> None:
        self._routes: dict[type[Command], str] = {}
        reply_topics = []
        for aggregate in aggregates:
            topics = aggregate.topics(topic_prefix)
            reply_topics.append(topics.replies)
            for command_type in aggregate.commands:
                self._routes[command_type] = topics.commands
        # murmur2 is the partitioner of Java clients and of Faust, so a key goes to the
        # same partition whichever of them writes it.
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 1,
                "partitioner": "murmur2_random",
            }
        )
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": "keybus-command-bus",
                "enable.auto.commit": False,
            }
        )
        self._consumer.assign(self._end_positions(reply_topics))
        self._replies: dict[str, CommandReply] = {}
        self._arrived = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._read_replies, name="keybus-replies", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send_nowait(self, command: Command) -> str:
        """Send a command without waiting for its reply; return its command id."""
        topic = self._routes.get(type(command))
        if topic is None:
            raise SourcingError(
                f"Command type {type(command).__name__} belongs to none of this bus's "
                "aggregates. Create the CommandBus with the aggregate type that declares it."
            )
        key, value = encode_command(command)
        self._producer.produce(topic, key=key, value=value)
        self._producer.poll(0)
        return str(command.command_id)

    def send(self, command: Command, *, timeout_s: float = 30.0) -> CommandReply:
        """Send a command and return the handler's reply, accepted or rejected.

        Raises:
            CommandTimeoutError: no reply within `timeout_s`.
        """
        command_id = self.send_nowait(command)
        self._producer.flush(timeout_s)
        return self.wait(command_id, timeout_s=timeout_s)

    def wait(self, command_id: str, *, timeout_s: float = 30.0) -> CommandReply:
        """Return the reply to a sent command once it arrives."""
        with self._arrived:
            found = self._arrived.wait_for(lambda: command_id in self._replies, timeout_s)
            if not found:
                raise CommandTimeoutError(
                    f"No reply to command {command_id} within {timeout_s} s. Check that the "
                    "command handler (`keybus run commands`) runs with the same topic prefix."
                )
            return self._replies.pop(command_id)

    def close(self) -> None:
        """Flush sent commands and stop reading replies."""
        self._producer.flush(30.0)
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._consumer.close()

    def _end_positions(self, topics: Sequence[str]) -> list[TopicPartition]:
        positions = []
        for topic in topics:
            for partition in partition_ids(self._consumer, topic):
                _low, high = watermarks(self._consumer, topic, partition)
                positions.append(TopicPartition(topic, partition, high))
        return positions

    def _read_replies(self) -> None:
        while not self._stop.is_set():
            for record in poll_batch(self._consumer, 100, 0.2):
                value = record.value()
                if record.error() is not None or value is None:
                    continue
                reply = decode_reply(value)
                with self._arrived:
                    self._replies[reply.command_id] = reply
                    self._arrived.notify_all()
