"""The delivery aggregate: schedule, reschedule, complete or cancel one delivery."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field

from keybus.catalog.com.example.common import Money, TimeWindow
from keybus.catalog.com.example.delivery import (
    AccessMode,
    Address,
    CancellationReason,
    DeliveryCancelled,
    DeliveryCompleted,
    DeliveryOutcome,
    DeliveryScheduled,
    Parcel,
)
from keybus.errors import clause
from keybus.events.model import Event
from keybus.sourcing.aggregate import AggregateType, Command
from keybus.sourcing.errors import RuleViolationError

__all__ = [
    "DELIVERY",
    "CancelDelivery",
    "CompleteDelivery",
    "DeliveryState",
    "DeliveryStatus",
    "RescheduleDelivery",
    "ScheduleDelivery",
]


class DeliveryStatus(StrEnum):
    """The life-cycle stage of a delivery."""

    NEW = "NEW"
    SCHEDULED = "SCHEDULED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class DeliveryState(BaseModel):
    """The state of one delivery, folded from its events."""

    status: DeliveryStatus = DeliveryStatus.NEW
    schedule: DeliveryScheduled | None = None
    reschedules: int = 0
    outcome: DeliveryOutcome | None = None


class ScheduleDelivery(Command):
    """Book a new delivery."""

    recipient_id: str
    carrier: str
    address: Address
    window: TimeWindow
    parcels: list[Parcel]
    access_mode: AccessMode
    lock_id: str | None = None
    instructions: str | None = None
    shipping_fee: Money | None = None


class RescheduleDelivery(Command):
    """Move a scheduled delivery to another time window."""

    window: TimeWindow


class CompleteDelivery(Command):
    """Record how the courier finished the delivery."""

    courier_id: str
    outcome: DeliveryOutcome
    door_open_ms: int | None = None
    parcel_ids: list[str] = Field(default_factory=list)


class CancelDelivery(Command):
    """Call off a scheduled delivery."""

    reason: CancellationReason
    note: str | None = None


def apply(state: DeliveryState, event: Event) -> DeliveryState:
    """Return the delivery's state after `event`."""
    if isinstance(event, DeliveryScheduled):
        rescheduled = state.status is DeliveryStatus.SCHEDULED
        return state.model_copy(
            update={
                "status": DeliveryStatus.SCHEDULED,
                "schedule": event,
                "reschedules": state.reschedules + int(rescheduled),
            }
        )
    if isinstance(event, DeliveryCompleted):
        return state.model_copy(
            update={"status": DeliveryStatus.COMPLETED, "outcome": event.outcome}
        )
    if isinstance(event, DeliveryCancelled):
        return state.model_copy(update={"status": DeliveryStatus.CANCELLED})
    return state


def decide(state: DeliveryState, command: Command) -> Sequence[Event]:
    """Return the events of a delivery command, or raise RuleViolationError."""
    if isinstance(command, ScheduleDelivery):
        _require_status(state, command, DeliveryStatus.NEW, "it is already {status}")
        _check_window(command, command.window)
        return [_scheduled(command)]
    if isinstance(command, RescheduleDelivery):
        _require_status(
            state, command, DeliveryStatus.SCHEDULED, "a {status} delivery cannot be rescheduled"
        )
        _check_window(command, command.window)
        schedule = state.schedule or _missing_schedule(command)
        return [
            schedule.model_copy(update={"window": command.window, "occurred_at": command.issued_at})
        ]
    if isinstance(command, CompleteDelivery):
        _require_status(state, command, DeliveryStatus.SCHEDULED, "it is {status}")
        return [
            DeliveryCompleted(
                occurred_at=command.issued_at,
                delivery_id=command.aggregate_id,
                courier_id=command.courier_id,
                outcome=command.outcome,
                door_open_ms=command.door_open_ms,
                parcel_ids=command.parcel_ids,
            )
        ]
    if isinstance(command, CancelDelivery):
        _require_status(state, command, DeliveryStatus.SCHEDULED, "it is {status}")
        return [
            DeliveryCancelled(
                occurred_at=command.issued_at,
                delivery_id=command.aggregate_id,
                reason=command.reason,
                note=command.note,
            )
        ]
    raise TypeError(f"{type(command).__name__} is not a delivery command")


def _scheduled(command: ScheduleDelivery) -> DeliveryScheduled:
    return DeliveryScheduled(
        occurred_at=command.issued_at,
        delivery_id=command.aggregate_id,
        recipient_id=command.recipient_id,
        carrier=command.carrier,
        address=command.address,
        window=command.window,
        parcels=command.parcels,
        access_mode=command.access_mode,
        lock_id=command.lock_id,
        instructions=command.instructions,
        shipping_fee=command.shipping_fee,
    )


def _missing_schedule(command: Command) -> DeliveryScheduled:
    raise RuleViolationError(
        f"{command.command_type} rejected for delivery {command.aggregate_id}: its state has "
        "no DeliveryScheduled event. Schedule a new delivery instead.",
        aggregate_id=command.aggregate_id,
        command_type=command.command_type,
    )


def _require_status(
    state: DeliveryState, command: Command, required: DeliveryStatus, reason: str
) -> None:
    if state.status is required:
        return
    status = state.status.value.lower()
    hint = (
        "Send ScheduleDelivery first."
        if state.status is DeliveryStatus.NEW
        else "Schedule a new delivery instead."
    )
    if required is DeliveryStatus.NEW:
        hint = "Send RescheduleDelivery to change its window."
    raise RuleViolationError(
        f"{command.command_type} rejected for delivery {command.aggregate_id}: "
        f"{clause(reason.format(status=status))}. {hint}",
        aggregate_id=command.aggregate_id,
        command_type=command.command_type,
    )


def _check_window(command: Command, window: TimeWindow) -> None:
    if window.ends_at > window.starts_at:
        return
    raise RuleViolationError(
        f"{command.command_type} rejected for delivery {command.aggregate_id}: the window "
        f"ends at {window.ends_at.isoformat()}, not after its start "
        f"{window.starts_at.isoformat()}. Send a window whose end is after its start.",
        aggregate_id=command.aggregate_id,
        command_type=command.command_type,
    )


DELIVERY: AggregateType[DeliveryState] = AggregateType(
    name="delivery",
    stream="deliveries",
    state_type=DeliveryState,
    commands=(ScheduleDelivery, RescheduleDelivery, CompleteDelivery, CancelDelivery),
    events=(DeliveryScheduled, DeliveryCompleted, DeliveryCancelled),
    apply=apply,
    decide=decide,
)
"""The delivery aggregate type, on the `deliveries` stream."""
