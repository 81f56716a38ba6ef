"""Aggregate declarations: commands, events, `apply`, `decide`, and one command's execution."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID, uuid4, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from keybus.errors import clause
from keybus.events.model import Event, utc_now
from keybus.sourcing.errors import InvalidCommandError, VersionConflictError
from keybus.types import TopicName

__all__ = [
    "AggregateType",
    "Command",
    "Outcome",
    "State",
    "StreamTopics",
    "execute",
    "replay_events",
]

logger = logging.getLogger(__name__)

State = TypeVar("State", bound=BaseModel)


class Command(BaseModel):
    """A request to change one aggregate; subclasses add the fields their decision needs.

    Attributes:
        command_id: unique id. The ids of the events it produces derive from it, so a
            command handled twice after a crash appends events with the same ids.
        aggregate_id: the aggregate the command is for; also the record key.
        expected_version: the version the sender last saw (0: the aggregate must not
            exist yet); None accepts any version.
        issued_at: when the command was issued; decisions use it as "now".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    command_type: ClassVar[str] = ""

    command_id: UUID = Field(default_factory=uuid4)
    aggregate_id: str
    expected_version: int | None = Field(default=None, ge=0)
    issued_at: AwareDatetime = Field(default_factory=utc_now)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.__dict__.get("command_type"):
            cls.command_type = cls.__name__


@dataclass(frozen=True)
class StreamTopics:
    """The topics of one aggregate type, derived from its event stream topic.

    Attributes:
        events: the event stream: every event of the aggregate type, keyed by aggregate id.
        commands: commands to the command handler, keyed by aggregate id.
        replies: one reply per handled command, accepted or rejected.
        snapshots: compacted; the latest snapshot of each aggregate.
    """

    events: TopicName
    commands: TopicName
    replies: TopicName
    snapshots: TopicName

    @classmethod
    def for_stream(cls, stream: str, prefix: str = "") -> StreamTopics:
        """Return the topics of the stream `prefix + stream`."""
        base = f"{prefix}{stream}"
        return cls(
            events=TopicName(base),
            commands=TopicName(f"{base}.commands"),
            replies=TopicName(f"{base}.replies"),
            snapshots=TopicName(f"{base}.snapshots"),
        )


@dataclass(frozen=True)
class AggregateType(Generic[State]):
    """The declaration of one aggregate type.

    Attributes:
        name: short name, for example `delivery`; used in logs, settings and table names.
        stream: the event stream topic (before any prefix), for example `deliveries`.
        state_type: a pydantic model whose default instance is the state before any event.
        commands: the command types the aggregate accepts.
        events: the event types of its stream, read with these models.
        apply: returns the state after one event; pure, never rejects a stored event.
        decide: returns the events a command produces, or raises RuleViolationError.
        snapshot_every: write a snapshot each time the version passes a multiple of this.
    """

    name: str
    stream: str
    state_type: type[State]
    commands: Sequence[type[Command]]
    events: Sequence[type[Event]]
    apply: Callable[[State, Event], State]
    decide: Callable[[State, Command], Sequence[Event]]
    snapshot_every: int = 50
    command_index: Mapping[str, type[Command]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "command_index", {command.command_type: command for command in self.commands}
        )

    def initial_state(self) -> State:
        """Return the state of an aggregate that has no event yet."""
        return self.state_type()

    def topics(self, prefix: str = "") -> StreamTopics:
        """Return the topics of this aggregate type, with an optional name prefix."""
        return StreamTopics.for_stream(self.stream, prefix)

    def parse_command(self, command_type: str, values: Mapping[str, Any]) -> Command:
        """Build a command of this aggregate from its type name and field values.

        Raises:
            InvalidCommandError: the type is not a command of this aggregate, or the values
                do not fit it.
        """
        aggregate_id = str(values.get("aggregate_id", "?"))
        model = self.command_index.get(command_type)
        if model is None:
            raise InvalidCommandError(
                f"Command type {command_type!r} is not a command of aggregate {self.name}. "
                f"Send one of: {', '.join(sorted(self.command_index))}.",
                aggregate_id=aggregate_id,
                command_type=command_type,
            )
        try:
            return model.model_validate(dict(values))
        except ValidationError as exc:
            raise InvalidCommandError(
                f"Command {command_type} for aggregate {aggregate_id} is invalid: "
                f"{clause(_first_error(exc))}. Correct the field and send the command again.",
                aggregate_id=aggregate_id,
                command_type=command_type,
            ) from exc


@dataclass(frozen=True)
class Outcome(Generic[State]):
    """The result of one accepted command.

    Attributes:
        events: the events to append, in order; their ids derive from the command id.
        state: the state after applying them.
        version: the aggregate version after them; the first event of an aggregate has
            version 1, and event i of `events` has version `version - len(events) + i + 1`.
    """

    events: list[Event]
    state: State
    version: int

    @property
    def first_version(self) -> int:
        """The version of the first appended event."""
        return self.version - len(self.events) + 1


def execute(
    aggregate: AggregateType[State], state: State, version: int, command: Command
) -> Outcome[State]:
    """Check the command's expected version, decide, and apply the resulting events.

    Nothing is written here; the caller appends `Outcome.events` and stores the state.

    Raises:
        VersionConflictError: `expected_version` is set and differs from `version`.
        RuleViolationError: the aggregate's `decide` rejected the command.
    """
    if command.expected_version is not None and command.expected_version != version:
        raise VersionConflictError(
            aggregate_id=command.aggregate_id,
            command_type=command.command_type,
            expected_version=command.expected_version,
            actual_version=version,
        )
    decided = aggregate.decide(state, command)
    events = [
        event.model_copy(update={"event_id": uuid5(command.command_id, str(index))})
        for index, event in enumerate(decided)
    ]
    for event in events:
        state = aggregate.apply(state, event)
    logger.debug(
        "command accepted aggregate=%s aggregate_id=%s command=%s events=%s",
        aggregate.name,
        command.aggregate_id,
        command.command_type,
        len(events),
    )
    return Outcome(events=events, state=state, version=version + len(events))


def replay_events(
    aggregate: AggregateType[State], events: Sequence[Event], state: State | None = None
) -> State:
    """Return the state after applying `events` in order to `state` (default: initial)."""
    current = aggregate.initial_state() if state is None else state
    for event in events:
        current = aggregate.apply(current, event)
    return current


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(command)"
    return f"field '{location}': {first['msg']}"
