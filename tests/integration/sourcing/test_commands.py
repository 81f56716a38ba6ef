"""The command handler on real Kafka and the keybus registry: versions, rules, snapshots.

The handler is a real Faust worker process. Commands go through `CommandBus`, and
events are read back from the stream topic with the registry. Nothing is faked.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.unit.sourcing.factories import NOON, grant, schedule, unlock, window

from keybus.catalog.com.example.access import RevocationReason
from keybus.catalog.com.example.delivery import DeliveryOutcome
from keybus.registry.client import RegistryClient
from keybus.sourcing import (
    VERSION_HEADER,
    CommandBus,
    CommandReply,
    EventReader,
    read_snapshots,
    recover,
)
from keybus.sourcing.domain import (
    ACCESS_GRANT,
    DELIVERY,
    CompleteDelivery,
    GrantStatus,
    RescheduleDelivery,
    RevokeAccess,
)
from keybus.sourcing.snapshots import read_to_end

from .conftest import SNAPSHOT_EVERY, Stack


def new_id(kind: str) -> str:
    """Return a fresh aggregate id."""
    return f"{kind}-{uuid.uuid4().hex[:10]}"


def bus(stack: Stack) -> CommandBus:
    """Return a command bus for both reference aggregates."""
    return CommandBus(stack.bootstrap_servers, [DELIVERY, ACCESS_GRANT], topic_prefix=stack.prefix)


def stream_versions(stack: Stack, topic: str, aggregate_id: str) -> list[int]:
    """Return the version headers of an aggregate's events, in stream order."""
    versions = []
    for record in read_to_end(stack.bootstrap_servers, stack.prefix + topic):
        if record.key() == aggregate_id.encode():
            headers = dict(record.headers() or [])
            versions.append(int(headers[VERSION_HEADER]))
    return versions


def test_versions_start_at_one(command_handler: Stack) -> None:
    delivery_id = new_id("d")
    later = window(NOON + timedelta(days=1))

    with bus(command_handler) as commands:
        first = commands.send(schedule(delivery_id, expected_version=0))
        second = commands.send(
            RescheduleDelivery(aggregate_id=delivery_id, window=later, expected_version=1)
        )

    assert first.accepted
    assert first.version == 1
    assert second.accepted
    assert second.version == 2
    assert stream_versions(command_handler, "deliveries", delivery_id) == [1, 2]


def test_version_conflict_is_rejected(command_handler: Stack) -> None:
    delivery_id = new_id("d")
    later = window(NOON + timedelta(days=1))

    with bus(command_handler) as commands:
        commands.send(schedule(delivery_id))
        commands.send(RescheduleDelivery(aggregate_id=delivery_id, window=later))
        stale = commands.send(
            RescheduleDelivery(aggregate_id=delivery_id, window=window(), expected_version=1)
        )

    assert not stale.accepted
    assert stale.error_code == "VERSION_CONFLICT"
    assert stale.version == 2
    assert "expected version 1, but the aggregate is at version 2" in (stale.error or "")
    assert stream_versions(command_handler, "deliveries", delivery_id) == [1, 2]


def test_completed_delivery_reschedule_rejected(command_handler: Stack) -> None:
    delivery_id = new_id("d")
    complete = CompleteDelivery(
        aggregate_id=delivery_id, courier_id="c-1", outcome=DeliveryOutcome.DELIVERED_INSIDE
    )

    with bus(command_handler) as commands:
        commands.send(schedule(delivery_id))
        commands.send(complete)
        rejected = commands.send(
            RescheduleDelivery(aggregate_id=delivery_id, window=window(NOON + timedelta(days=2)))
        )

    assert rejected.error_code == "RULE_VIOLATED"
    assert "a completed delivery cannot be rescheduled" in (rejected.error or "")
    assert stream_versions(command_handler, "deliveries", delivery_id) == [1, 2]


def unlock_reply(stack: Stack, **fields: object) -> tuple[CommandReply, str]:
    """Grant courier c-1 lock-1 from noon to 14:00, then try an unlock; return its reply."""
    grant_id = new_id("g")
    revoke = bool(fields.pop("revoke", False))
    with bus(stack) as commands:
        assert commands.send(grant(grant_id)).accepted
        if revoke:
            reason = RevocationReason.REVOKED_BY_RESIDENT
            assert commands.send(RevokeAccess(aggregate_id=grant_id, reason=reason)).accepted
        return commands.send(unlock(grant_id, **fields)), grant_id  # type: ignore[arg-type]


def test_unlock_inside_window_accepted(command_handler: Stack) -> None:
    reply, grant_id = unlock_reply(command_handler)

    assert reply.accepted
    assert reply.version == 2
    assert stream_versions(command_handler, "access-grants", grant_id) == [1, 2]


def test_unlock_outside_window_rejected(command_handler: Stack) -> None:
    reply, grant_id = unlock_reply(command_handler, at=NOON + timedelta(hours=3))

    assert reply.error_code == "RULE_VIOLATED"
    assert "is outside the granted window" in (reply.error or "")
    assert stream_versions(command_handler, "access-grants", grant_id) == [1]


def test_unlock_by_other_holder_rejected(command_handler: Stack) -> None:
    reply, grant_id = unlock_reply(command_handler, holder_id="c-2")

    assert reply.error_code == "RULE_VIOLATED"
    assert "c-2 is not the grant's holder" in (reply.error or "")
    assert stream_versions(command_handler, "access-grants", grant_id) == [1]


def test_revoked_grant_unlock_rejected(command_handler: Stack) -> None:
    reply, grant_id = unlock_reply(command_handler, revoke=True)

    assert reply.error_code == "RULE_VIOLATED"
    assert "was revoked (REVOKED_BY_RESIDENT) and cannot be used" in (reply.error or "")
    assert stream_versions(command_handler, "access-grants", grant_id) == [1, 2]


def test_invalid_command_rejected(command_handler: Stack) -> None:
    delivery_id = new_id("d")

    with bus(command_handler) as commands:
        reply = commands.send(RescheduleDelivery(aggregate_id=delivery_id, window=window(hours=1)))

    assert reply.error_code == "RULE_VIOLATED"
    assert "Send ScheduleDelivery first" in (reply.error or "")


def test_snapshot_recovery_equals_full_replay(command_handler: Stack) -> None:
    grant_id = new_id("g")
    commands_sent = [grant(grant_id, max_entries=10)]
    commands_sent += [unlock(grant_id, at=NOON + timedelta(minutes=minute)) for minute in range(7)]
    commands_sent.append(RevokeAccess(aggregate_id=grant_id, reason=RevocationReason.SECURITY))
    with bus(command_handler) as commands:
        replies = [commands.send(command) for command in commands_sent]
    reader = EventReader(RegistryClient(command_handler.registry_url), ACCESS_GRANT.events)
    stream = command_handler.prefix + ACCESS_GRANT.stream
    snapshots = read_snapshots(
        command_handler.bootstrap_servers, ACCESS_GRANT.topics(command_handler.prefix).snapshots
    )

    full = recover(
        ACCESS_GRANT,
        grant_id,
        bootstrap_servers=command_handler.bootstrap_servers,
        reader=reader,
        stream_topic=stream,
    )
    from_snapshot = recover(
        ACCESS_GRANT,
        grant_id,
        bootstrap_servers=command_handler.bootstrap_servers,
        reader=reader,
        stream_topic=stream,
        snapshot=snapshots[grant_id],
    )

    assert all(reply.accepted for reply in replies)
    assert snapshots[grant_id].version == 9 // SNAPSHOT_EVERY * SNAPSHOT_EVERY
    assert full.version == 9
    assert from_snapshot.version == 9
    assert from_snapshot.state == full.state
    assert full.state.status is GrantStatus.REVOKED
    assert full.state.entries_used == 7
    assert from_snapshot.from_snapshot
    assert from_snapshot.events_applied == 9 - snapshots[grant_id].version
    assert from_snapshot.records_read < full.records_read
