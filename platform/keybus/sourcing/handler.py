"""The command handler's core: read a command, decide against stored state, return records."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from keybus.sourcing.aggregate import AggregateType, execute
from keybus.sourcing.errors import CommandRejectedError
from keybus.sourcing.snapshots import Snapshot
from keybus.sourcing.wire import (
    CommandReply,
    EncodedEvent,
    EventEncoder,
    decode_command,
    rejection_reply,
)

__all__ = ["CommandProcessor", "Processed", "StoredAggregate"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredAggregate:
    """The table value the handler keeps per aggregate.

    Attributes:
        version: the aggregate version (0: no event yet).
        state: the state model's JSON values.
        partition: the stream partition of its events, once one was appended.
        offset: the stream offset of its last event.
    """

    version: int
    state: dict[str, Any]
    partition: int = -1
    offset: int = -1

    def to_json(self) -> dict[str, Any]:
        """Return the table value."""
        return {
            "version": self.version,
            "state": self.state,
            "partition": self.partition,
            "offset": self.offset,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> StoredAggregate | None:
        """Read a table value; None stays None."""
        if value is None:
            return None
        return cls(value["version"], value["state"], value["partition"], value["offset"])


@dataclass(frozen=True)
class Processed:
    """The records one command leads to; the caller sends the events first, then the rest.

    Attributes:
        reply: the reply to send to the replies topic.
        events: the events to append, in version order; empty when rejected.
        stored: the new table value once the events are appended; None when rejected.
    """

    reply: CommandReply
    events: list[EncodedEvent]
    stored: StoredAggregate | None

    def snapshot_due(self, every: int, previous_version: int) -> bool:
        """Return whether the version passed a multiple of `every` with this command."""
        if self.stored is None or every <= 0:
            return False
        return self.stored.version // every > previous_version // every


class CommandProcessor:
    """Handle the commands of one aggregate type; the caller owns sending and storing.

    Rejections (version conflicts, broken rules, unreadable commands) become replies
    and are never applied.
    """

    def __init__(self, aggregate: AggregateType[Any], encoder: EventEncoder) -> None:
        self.aggregate = aggregate
        self.encoder = encoder

    def process(self, key: bytes | None, value: bytes, stored: StoredAggregate | None) -> Processed:
        """Decide one command record against the stored aggregate."""
        version = 0 if stored is None else stored.version
        command_id = "?"
        try:
            command = decode_command(self.aggregate, key, value)
            command_id = str(command.command_id)
            state = (
                self.aggregate.initial_state()
                if stored is None
                else self.aggregate.state_type.model_validate(stored.state)
            )
            outcome = execute(self.aggregate, state, version, command)
        except CommandRejectedError as exc:
            logger.info(
                "command rejected aggregate=%s aggregate_id=%s code=%s command_id=%s",
                self.aggregate.name,
                exc.aggregate_id,
                exc.code,
                command_id,
            )
            return Processed(rejection_reply(exc, version, command_id), [], None)
        events = [
            self.encoder.encode(event, version=outcome.first_version + index, command_id=command_id)
            for index, event in enumerate(outcome.events)
        ]
        reply = CommandReply(
            command_id=command_id,
            command_type=command.command_type,
            aggregate_id=command.aggregate_id,
            accepted=True,
            version=outcome.version,
            event_ids=[event.event_id for event in events],
        )
        new_state = outcome.state.model_dump(mode="json")
        partition = -1 if stored is None else stored.partition
        offset = -1 if stored is None else stored.offset
        return Processed(
            reply, events, StoredAggregate(outcome.version, new_state, partition, offset)
        )

    def snapshot(self, aggregate_id: str, stored: StoredAggregate) -> Snapshot:
        """Return the snapshot of a stored aggregate."""
        return Snapshot(
            aggregate=self.aggregate.name,
            aggregate_id=aggregate_id,
            version=stored.version,
            state=stored.state,
            partition=stored.partition,
            offset=stored.offset,
        )
