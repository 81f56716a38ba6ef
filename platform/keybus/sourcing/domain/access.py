"""The access grant aggregate: grant, revoke, and open the grant's lock with it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from keybus.catalog.com.example.access import (
    AccessGranted,
    AccessMethod,
    AccessRevoked,
    CourierGrantee,
    GrantUsed,
    GuestGrantee,
    RevocationReason,
)
from keybus.catalog.com.example.common import TimeWindow
from keybus.errors import clause
from keybus.events.model import Event
from keybus.sourcing.aggregate import AggregateType, Command
from keybus.sourcing.errors import RuleViolationError

__all__ = [
    "ACCESS_GRANT",
    "AccessGrantState",
    "GrantAccess",
    "GrantStatus",
    "RevokeAccess",
    "UnlockDoor",
    "holder_of",
]


class GrantStatus(StrEnum):
    """The life-cycle stage of an access grant."""

    NEW = "NEW"
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class AccessGrantState(BaseModel):
    """The state of one access grant, folded from its events."""

    status: GrantStatus = GrantStatus.NEW
    lock_id: str | None = None
    holder_id: str | None = None
    window: TimeWindow | None = None
    max_entries: int = 0
    entries_used: int = 0
    delivery_id: str | None = None
    revocation_reason: RevocationReason | None = None


class GrantAccess(Command):
    """Give a courier or a guest time-boxed access to one lock."""

    lock_id: str
    grantee: CourierGrantee | GuestGrantee
    validity: TimeWindow
    method: AccessMethod
    max_entries: int = 1
    delivery_id: str | None = None


class RevokeAccess(Command):
    """End a grant before its window ends."""

    reason: RevocationReason
    revoked_by: str | None = None


class UnlockDoor(Command):
    """Open the grant's lock for its holder; `issued_at` is the time of the attempt."""

    lock_id: str
    holder_id: str
    method: AccessMethod


def holder_of(grantee: CourierGrantee | GuestGrantee) -> str:
    """Return the id of a grantee: its courier_id or guest_id."""
    return grantee.courier_id if isinstance(grantee, CourierGrantee) else grantee.guest_id


def apply(state: AccessGrantState, event: Event) -> AccessGrantState:
    """Return the grant's state after `event`."""
    if isinstance(event, AccessGranted):
        return state.model_copy(
            update={
                "status": GrantStatus.ACTIVE,
                "lock_id": event.lock_id,
                "holder_id": holder_of(event.grantee),
                "window": event.validity,
                "max_entries": event.max_entries,
                "delivery_id": event.delivery_id,
            }
        )
    if isinstance(event, GrantUsed):
        return state.model_copy(update={"entries_used": event.entry})
    if isinstance(event, AccessRevoked):
        return state.model_copy(
            update={"status": GrantStatus.REVOKED, "revocation_reason": event.reason}
        )
    return state


def decide(state: AccessGrantState, command: Command) -> Sequence[Event]:
    """Return the events of an access command, or raise RuleViolationError."""
    if isinstance(command, GrantAccess):
        return [_grant(state, command)]
    if isinstance(command, RevokeAccess):
        if state.status is not GrantStatus.ACTIVE:
            _reject(command, f"the grant is {state.status.value.lower()}, not active")
        return [
            AccessRevoked(
                occurred_at=command.issued_at,
                grant_id=command.aggregate_id,
                lock_id=state.lock_id or "",
                reason=command.reason,
                revoked_by=command.revoked_by,
            )
        ]
    if isinstance(command, UnlockDoor):
        _check_unlock(state, command)
        return [
            GrantUsed(
                occurred_at=command.issued_at,
                grant_id=command.aggregate_id,
                lock_id=command.lock_id,
                holder_id=command.holder_id,
                method=command.method,
                entry=state.entries_used + 1,
            )
        ]
    raise TypeError(f"{type(command).__name__} is not an access grant command")


def _grant(state: AccessGrantState, command: GrantAccess) -> AccessGranted:
    if state.status is not GrantStatus.NEW:
        _reject(command, "a grant with this id exists already; use a new grant id")
    if command.validity.ends_at <= command.validity.starts_at:
        _reject(command, "the validity window must end after it starts")
    if command.max_entries < 1:
        _reject(command, f"max_entries is {command.max_entries}; it must be at least 1")
    return AccessGranted(
        occurred_at=command.issued_at,
        grant_id=command.aggregate_id,
        lock_id=command.lock_id,
        grantee=command.grantee,
        validity=command.validity,
        method=command.method,
        max_entries=command.max_entries,
        delivery_id=command.delivery_id,
    )


def _check_unlock(state: AccessGrantState, command: UnlockDoor) -> None:
    if state.status is GrantStatus.NEW:
        _reject(command, "no such grant; grant access first")
    if state.status is GrantStatus.REVOKED:
        reason = state.revocation_reason.value if state.revocation_reason else "OTHER"
        _reject(command, f"the grant was revoked ({reason}) and cannot be used")
    if command.lock_id != state.lock_id:
        _reject(command, f"the grant is for lock {state.lock_id}, not lock {command.lock_id}")
    if command.holder_id != state.holder_id:
        _reject(
            command,
            f"{command.holder_id} is not the grant's holder; only {state.holder_id} may use it",
        )
    window = state.window
    if window is None or not _inside(command.issued_at, window):
        _reject(command, f"{command.issued_at.isoformat()} is outside {_describe(window)}")
    if state.entries_used >= state.max_entries:
        _reject(command, f"all {state.max_entries} entries of the grant are used")


def _inside(moment: datetime, window: TimeWindow) -> bool:
    return window.starts_at <= moment < window.ends_at


def _describe(window: TimeWindow | None) -> str:
    if window is None:
        return "the grant's window (none is set)"
    return f"the granted window [{window.starts_at.isoformat()}, {window.ends_at.isoformat()})"


def _reject(command: Command, reason: str) -> None:
    raise RuleViolationError(
        f"{command.command_type} rejected for grant {command.aggregate_id}: {clause(reason)}.",
        aggregate_id=command.aggregate_id,
        command_type=command.command_type,
    )


ACCESS_GRANT: AggregateType[AccessGrantState] = AggregateType(
    name="access-grant",
    stream="access-grants",
    state_type=AccessGrantState,
    commands=(GrantAccess, RevokeAccess, UnlockDoor),
    events=(AccessGranted, AccessRevoked, GrantUsed),
    apply=apply,
    decide=decide,
)
"""The access grant aggregate type, on the `access-grants` stream."""
