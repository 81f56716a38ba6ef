"""Records of event sourcing: commands and replies as JSON, events as framed Avro."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from keybus.errors import clause
from keybus.events.cloudevents import event_headers
from keybus.events.model import Event
from keybus.serde.codec import AvroSerializer, SchemaRegistry
from keybus.sourcing.aggregate import AggregateType, Command
from keybus.sourcing.errors import CommandRejectedError, InvalidCommandError

__all__ = [
    "COMMAND_ID_HEADER",
    "VERSION_HEADER",
    "CommandReply",
    "EncodedEvent",
    "EventEncoder",
    "decode_command",
    "decode_reply",
    "encode_command",
    "encode_reply",
    "rejection_reply",
]

logger = logging.getLogger(__name__)

VERSION_HEADER = "keybus_aggregate_version"
"""Header with the aggregate version of an appended event, as decimal ASCII."""
COMMAND_ID_HEADER = "keybus_command_id"
"""Header with the id of the command that produced an event."""


class CommandReply(BaseModel):
    """The handler's reply to one command, sent to the aggregate's replies topic.

    Attributes:
        accepted: whether the events were appended.
        version: the aggregate's version after the command (unchanged when rejected).
        event_ids: ids of the appended events, in version order.
        error_code: `VERSION_CONFLICT`, `RULE_VIOLATED` or `INVALID_COMMAND` when rejected.
        error: the rejection's message: the value, the rule broken and what to do.
    """

    model_config = ConfigDict(frozen=True)

    command_id: str
    command_type: str
    aggregate_id: str
    accepted: bool
    version: int
    event_ids: list[str] = Field(default_factory=list)
    error_code: str | None = None
    error: str | None = None


def encode_reply(reply: CommandReply) -> tuple[bytes, bytes]:
    """Return the record key and JSON value of a reply."""
    return reply.aggregate_id.encode(), reply.model_dump_json().encode()


def decode_reply(value: bytes) -> CommandReply:
    """Read a reply record value."""
    return CommandReply.model_validate_json(value)


def encode_command(command: Command) -> tuple[bytes, bytes]:
    """Return the record key and JSON value of a command.

    NOTE: commands and replies are JSON checked by their pydantic models, not Avro
    checked by the registry, so the registry's compatibility rules do not cover them.
    Giving them .avsc schemas in avro/ would, at the cost of a binding per command.
    """
    body = {"command_type": command.command_type, **command.model_dump(mode="json")}
    return command.aggregate_id.encode(), json.dumps(body).encode()


def decode_command(aggregate: AggregateType[Any], key: bytes | None, value: bytes) -> Command:
    """Read a command record of `aggregate`.

    Raises:
        InvalidCommandError: the value is not a JSON command of this aggregate, or its
            aggregate id differs from the record key.
    """
    aggregate_id = (key or b"").decode(errors="replace")
    try:
        body = json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidCommandError(
            f"Command record for aggregate {aggregate_id!r} is not JSON: {clause(exc)}. Send "
            "commands with keybus.sourcing.CommandBus or as JSON objects with a command_type "
            "field.",
            aggregate_id=aggregate_id,
            command_type="?",
        ) from exc
    if not isinstance(body, dict):
        body = {"command_type": "?"}
    command = aggregate.parse_command(str(body.pop("command_type", "?")), body)
    if key is not None and command.aggregate_id != aggregate_id:
        raise InvalidCommandError(
            f"Command {command.command_type} names aggregate {command.aggregate_id} but its "
            f"record key is {aggregate_id!r}. Key command records by their aggregate id.",
            aggregate_id=command.aggregate_id,
            command_type=command.command_type,
        )
    return command


def rejection_reply(
    error: CommandRejectedError, version: int, command_id: str = "?"
) -> CommandReply:
    """Return the reply to a rejected command."""
    return CommandReply(
        command_id=command_id,
        command_type=error.command_type,
        aggregate_id=error.aggregate_id,
        accepted=False,
        version=version,
        error_code=error.code,
        error=error.message,
    )


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """One event ready to send: topic, key, framed Avro value and headers."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    event_id: str


class EventEncoder:
    """Encode events of an aggregate's stream with their registered schemas.

    Args:
        registry: the registry client.
        source: the CloudEvents `source` of the appended events.
        auto_register: register missing schemas instead of failing.
        event_types: event classes whose serializers are built now, so a missing schema
            fails at startup.
        topic: the stream topic the events go to; event types are checked on it.
    """

    def __init__(
        self,
        registry: SchemaRegistry,
        *,
        source: str,
        topic: str,
        auto_register: bool = False,
        event_types: Iterable[type[Event]] = (),
    ) -> None:
        self.registry = registry
        self.source = source
        self.topic = topic
        self.auto_register = auto_register
        self._serializers: dict[type[Event], AvroSerializer] = {}
        for event_type in event_types:
            self._serializer(event_type)

    def encode(self, event: Event, *, version: int, command_id: str) -> EncodedEvent:
        """Encode one event with its aggregate version and command id in the headers."""
        serializer = self._serializer(type(event))
        value = serializer.encode_body(event.to_avro(), serializer.header(self.topic))
        event_id = str(event.event_id)
        cloud_headers = event_headers(
            event_id=event_id,
            event_type=event.event_type(),
            source=self.source,
            occurred_at=event.occurred_at,
            subject=event.aggregate_id,
        )
        # Faust's client (aiokafka) takes header values as bytes only.
        headers = [
            (name, value.encode() if isinstance(value, str) else value or b"")
            for name, value in cloud_headers
        ]
        headers.append((VERSION_HEADER, str(version).encode()))
        headers.append((COMMAND_ID_HEADER, command_id.encode()))
        return EncodedEvent(self.topic, event.aggregate_id.encode(), value, headers, event_id)

    def _serializer(self, event_type: type[Event]) -> AvroSerializer:
        serializer = self._serializers.get(event_type)
        if serializer is None:
            serializer = AvroSerializer(
                event_type.avro_schema(),
                self.registry,
                auto_register=self.auto_register,
                validate=False,
            )
            serializer.header(self.topic)
            self._serializers[event_type] = serializer
        return serializer
