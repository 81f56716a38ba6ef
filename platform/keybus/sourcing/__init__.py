"""Event sourcing: aggregates, the command handler's core, snapshots, recovery and upcasting."""

from __future__ import annotations

from keybus.sourcing.aggregate import (
    AggregateType,
    Command,
    Outcome,
    StreamTopics,
    execute,
    replay_events,
)
from keybus.sourcing.aggregates import (
    aggregate_names,
    find_aggregate,
    register_aggregate,
    select_aggregates,
)
from keybus.sourcing.bus import CommandBus, CommandTimeoutError
from keybus.sourcing.errors import (
    CommandRejectedError,
    InvalidCommandError,
    ProjectionError,
    RuleViolationError,
    SourcingError,
    UnknownAggregateError,
    UnknownProjectionError,
    VersionConflictError,
)
from keybus.sourcing.handler import CommandProcessor, Processed, StoredAggregate
from keybus.sourcing.recovery import Recovered, recover, recover_from_records
from keybus.sourcing.settings import SourcingSettings
from keybus.sourcing.snapshots import Snapshot, decode_snapshot, encode_snapshot, read_snapshots
from keybus.sourcing.upcasting import EventReader, ReadEvent, Upcaster, Upcasters
from keybus.sourcing.wire import (
    COMMAND_ID_HEADER,
    VERSION_HEADER,
    CommandReply,
    EncodedEvent,
    EventEncoder,
    decode_command,
    decode_reply,
    encode_command,
    encode_reply,
)

__all__ = [
    "COMMAND_ID_HEADER",
    "VERSION_HEADER",
    "AggregateType",
    "Command",
    "CommandBus",
    "CommandProcessor",
    "CommandRejectedError",
    "CommandReply",
    "CommandTimeoutError",
    "EncodedEvent",
    "EventEncoder",
    "EventReader",
    "InvalidCommandError",
    "Outcome",
    "Processed",
    "ProjectionError",
    "ReadEvent",
    "Recovered",
    "RuleViolationError",
    "Snapshot",
    "SourcingError",
    "SourcingSettings",
    "StoredAggregate",
    "StreamTopics",
    "UnknownAggregateError",
    "UnknownProjectionError",
    "Upcaster",
    "Upcasters",
    "VersionConflictError",
    "aggregate_names",
    "decode_command",
    "decode_reply",
    "decode_snapshot",
    "encode_command",
    "encode_reply",
    "encode_snapshot",
    "execute",
    "find_aggregate",
    "read_snapshots",
    "recover",
    "recover_from_records",
    "register_aggregate",
    "replay_events",
    "select_aggregates",
]
