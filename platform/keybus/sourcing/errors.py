"""Errors of event sourcing: rejected commands, bad declarations and projection problems."""

from __future__ import annotations

from keybus.errors import KeybusError

__all__ = [
    "CommandRejectedError",
    "InvalidCommandError",
    "ProjectionError",
    "RuleViolationError",
    "SourcingError",
    "UnknownAggregateError",
    "UnknownProjectionError",
    "VersionConflictError",
]


class SourcingError(KeybusError):
    """Root of the errors of keybus.sourcing."""


class CommandRejectedError(SourcingError):
    """A command was rejected; nothing was appended to the aggregate's stream.

    Attributes:
        code: `VERSION_CONFLICT`, `RULE_VIOLATED` or `INVALID_COMMAND`; the reply carries it.
        aggregate_id: the aggregate the command was sent to.
        command_type: the command's type name.
    """

    code = "REJECTED"

    def __init__(self, message: str, *, aggregate_id: str, command_type: str) -> None:
        super().__init__(message)
        self.aggregate_id = aggregate_id
        self.command_type = command_type


class VersionConflictError(CommandRejectedError):
    """The command expected another aggregate version than the current one."""

    code = "VERSION_CONFLICT"
    retryable = True

    def __init__(
        self, *, aggregate_id: str, command_type: str, expected_version: int, actual_version: int
    ) -> None:
        super().__init__(
            f"Command {command_type} on aggregate {aggregate_id} rejected: it expected version "
            f"{expected_version}, but the aggregate is at version {actual_version}. Load the "
            "aggregate again, decide again, and resend with the current version.",
            aggregate_id=aggregate_id,
            command_type=command_type,
        )
        self.expected_version = expected_version
        self.actual_version = actual_version


class RuleViolationError(CommandRejectedError):
    """The command breaks a business rule of the aggregate in its current state."""

    code = "RULE_VIOLATED"


class InvalidCommandError(CommandRejectedError):
    """The command cannot be read: unknown type, missing fields or wrong values."""

    code = "INVALID_COMMAND"


class UnknownAggregateError(SourcingError):
    """No aggregate type is declared under the requested name."""


class ProjectionError(SourcingError):
    """A projection could not be built, read or replayed."""


class UnknownProjectionError(ProjectionError):
    """No projection is registered under the requested name."""
