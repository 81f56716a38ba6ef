"""The deliveries of the simulated day as commands to the command handler.

Most deliveries go by the book: scheduled, access granted to the courier, door unlocked
inside the window, completed. Some break a business rule on purpose, and the handler
rejects them with a reason. Another courier tries the grant, a courier comes after the
window, a resident revokes the grant before the courier arrives, or someone tries to
reschedule a delivery that is already completed.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from keybus.catalog.com.example.access import AccessMethod, CourierGrantee, RevocationReason
from keybus.catalog.com.example.common import TimeWindow
from keybus.catalog.com.example.delivery import (
    AccessMode,
    Address,
    DeliveryOutcome,
    Parcel,
    ParcelSize,
)
from keybus.sourcing import Command, CommandBus
from keybus.sourcing.domain import (
    CompleteDelivery,
    GrantAccess,
    RescheduleDelivery,
    RevokeAccess,
    ScheduleDelivery,
    UnlockDoor,
)

__all__ = ["CommandLog", "run_deliveries"]

REPLY_TIMEOUT_S = 120.0


@dataclass
class CommandLog:
    """Replies of the handler, by command type and by rejection reason."""

    sent: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    """`<command type>: <error code>` -> count."""
    examples: dict[str, str] = field(default_factory=dict)
    """One rejection message per `<command type>: <error code>`."""


def run_deliveries(bus: CommandBus, locks: list[str], *, deliveries: int, seed: int) -> CommandLog:
    """Send every delivery's commands in order, then wait for all replies."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    now = datetime.now(UTC)
    pending: list[tuple[str, str]] = []
    for number in range(deliveries):
        commands = _delivery(rng, f"d-{run}-{number}", f"g-{run}-{number}", rng.choice(locks), now)
        for command in commands:
            pending.append((type(command).__name__, bus.send_nowait(command)))
    log = CommandLog()
    for command_type, command_id in pending:
        reply = bus.wait(command_id, timeout_s=REPLY_TIMEOUT_S)
        log.sent[command_type] += 1
        if reply.accepted:
            log.accepted[command_type] += 1
            continue
        key = f"{command_type}: {reply.error_code}"
        log.rejected[key] += 1
        log.examples.setdefault(key, reply.error or "")
    return log


def _delivery(
    rng: random.Random, delivery_id: str, grant_id: str, lock_id: str, now: datetime
) -> list[Command]:
    courier = f"courier-{rng.randrange(40)}"
    window = TimeWindow(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    commands: list[Command] = [
        ScheduleDelivery(
            aggregate_id=delivery_id,
            recipient_id=f"recipient-{rng.randrange(500)}",
            carrier="DHL",
            address=Address(
                street="Hauptstrasse 5", postal_code="10115", city="Berlin", country_code="DE"
            ),
            window=window,
            parcels=[
                Parcel(
                    parcel_id=f"{delivery_id}-p1", size=ParcelSize.SMALL, weight_kg=Decimal("1.250")
                )
            ],
            access_mode=AccessMode.GARAGE,
            lock_id=lock_id,
            issued_at=now - timedelta(days=1),
        ),
        GrantAccess(
            aggregate_id=grant_id,
            lock_id=lock_id,
            grantee=CourierGrantee(courier_id=courier, carrier="DHL"),
            validity=window,
            method=AccessMethod.BLUETOOTH,
            max_entries=1,
            delivery_id=delivery_id,
            issued_at=now - timedelta(hours=2),
        ),
    ]
    roll = rng.random()
    holder, at = courier, now
    if roll < 0.05:
        holder = f"courier-{rng.randrange(40, 80)}"
    elif roll < 0.10:
        at = now + timedelta(hours=3)
    elif roll < 0.15:
        commands.append(
            RevokeAccess(aggregate_id=grant_id, reason=RevocationReason.REVOKED_BY_RESIDENT)
        )
    commands.append(
        UnlockDoor(
            aggregate_id=grant_id,
            lock_id=lock_id,
            holder_id=holder,
            method=AccessMethod.BLUETOOTH,
            issued_at=at,
        )
    )
    commands.append(
        CompleteDelivery(
            aggregate_id=delivery_id, courier_id=courier, outcome=DeliveryOutcome.DELIVERED_INSIDE
        )
    )
    if rng.random() < 0.05:
        commands.append(RescheduleDelivery(aggregate_id=delivery_id, window=window))
    return commands
