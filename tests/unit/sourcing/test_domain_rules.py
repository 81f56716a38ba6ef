"""Business rules of the reference aggregates, decided in memory; nothing is faked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from keybus.catalog.com.example.access import GrantUsed, RevocationReason
from keybus.catalog.com.example.delivery import (
    CancellationReason,
    DeliveryOutcome,
    DeliveryScheduled,
)
from keybus.sourcing import (
    AggregateType,
    Command,
    Outcome,
    RuleViolationError,
    VersionConflictError,
    execute,
    replay_events,
)
from keybus.sourcing.domain import (
    ACCESS_GRANT,
    DELIVERY,
    CancelDelivery,
    CompleteDelivery,
    DeliveryStatus,
    GrantStatus,
    RescheduleDelivery,
    RevokeAccess,
)

from .factories import NOON, grant, schedule, unlock, window


def run(aggregate: AggregateType[Any], *commands: Command) -> Outcome[Any]:
    """Execute commands in order from the initial state; return the last outcome."""
    state, version = aggregate.initial_state(), 0
    outcome: Outcome[Any] | None = None
    for command in commands:
        outcome = execute(aggregate, state, version, command)
        state, version = outcome.state, outcome.version
    assert outcome is not None
    return outcome


def test_schedule_starts_at_version_one() -> None:
    outcome = run(DELIVERY, schedule("d-1"))

    assert outcome.version == 1
    assert outcome.first_version == 1
    assert outcome.state.status is DeliveryStatus.SCHEDULED
    assert isinstance(outcome.events[0], DeliveryScheduled)


def test_event_ids_derive_from_command_id() -> None:
    command = schedule("d-1", command_id=uuid4())

    first = run(DELIVERY, command)
    second = run(DELIVERY, command)

    assert first.events[0].event_id == second.events[0].event_id


def test_reschedule_moves_window() -> None:
    later = window(NOON + timedelta(days=1))

    outcome = run(DELIVERY, schedule("d-1"), RescheduleDelivery(aggregate_id="d-1", window=later))

    assert outcome.version == 2
    assert outcome.state.schedule.window == later
    assert outcome.state.reschedules == 1


def test_completed_delivery_cannot_be_rescheduled() -> None:
    complete = CompleteDelivery(
        aggregate_id="d-1", courier_id="c-1", outcome=DeliveryOutcome.DELIVERED_INSIDE
    )
    reschedule = RescheduleDelivery(aggregate_id="d-1", window=window(NOON + timedelta(days=1)))

    with pytest.raises(RuleViolationError) as caught:
        run(DELIVERY, schedule("d-1"), complete, reschedule)

    assert "a completed delivery cannot be rescheduled" in caught.value.message
    assert caught.value.code == "RULE_VIOLATED"


def test_cancelled_delivery_cannot_be_completed() -> None:
    cancel = CancelDelivery(aggregate_id="d-1", reason=CancellationReason.RECIPIENT_REQUEST)
    complete = CompleteDelivery(
        aggregate_id="d-1", courier_id="c-1", outcome=DeliveryOutcome.LEFT_AT_DOOR
    )

    with pytest.raises(RuleViolationError, match="it is cancelled"):
        run(DELIVERY, schedule("d-1"), cancel, complete)


def test_schedule_twice_is_rejected() -> None:
    with pytest.raises(RuleViolationError, match="already scheduled"):
        run(DELIVERY, schedule("d-1"), schedule("d-1"))


def test_empty_window_is_rejected() -> None:
    with pytest.raises(RuleViolationError, match="not after its start"):
        run(DELIVERY, schedule("d-1", window=window(hours=0)))


def test_expected_version_mismatch_is_rejected() -> None:
    stale = RescheduleDelivery(aggregate_id="d-1", window=window(), expected_version=0)

    with pytest.raises(VersionConflictError) as caught:
        run(DELIVERY, schedule("d-1"), stale)

    assert caught.value.expected_version == 0
    assert caught.value.actual_version == 1
    assert "expected version 0, but the aggregate is at version 1" in caught.value.message


def test_unlock_inside_window_by_holder_is_accepted() -> None:
    outcome = run(ACCESS_GRANT, grant("g-1"), unlock("g-1"))

    assert isinstance(outcome.events[0], GrantUsed)
    assert outcome.events[0].entry == 1
    assert outcome.state.entries_used == 1


@pytest.mark.parametrize(
    ("at", "accepted"),
    [
        (NOON - timedelta(milliseconds=1), False),
        (NOON, True),
        (NOON + timedelta(hours=2) - timedelta(milliseconds=1), True),
        (NOON + timedelta(hours=2), False),
    ],
)
def test_unlock_window_is_half_open(at: Any, accepted: bool) -> None:
    if accepted:
        assert run(ACCESS_GRANT, grant("g-1"), unlock("g-1", at=at)).version == 2
    else:
        with pytest.raises(RuleViolationError, match="is outside the granted window"):
            run(ACCESS_GRANT, grant("g-1"), unlock("g-1", at=at))


def test_unlock_by_other_courier_is_rejected() -> None:
    with pytest.raises(RuleViolationError, match="c-2 is not the grant's holder; only c-1"):
        run(ACCESS_GRANT, grant("g-1"), unlock("g-1", holder_id="c-2"))


def test_unlock_of_other_lock_is_rejected() -> None:
    with pytest.raises(RuleViolationError, match="for lock lock-1, not lock lock-9"):
        run(ACCESS_GRANT, grant("g-1"), unlock("g-1", lock_id="lock-9"))


def test_revoked_grant_cannot_be_used() -> None:
    revoke = RevokeAccess(aggregate_id="g-1", reason=RevocationReason.DELIVERY_CANCELLED)

    with pytest.raises(RuleViolationError, match=r"revoked \(DELIVERY_CANCELLED\)"):
        run(ACCESS_GRANT, grant("g-1"), revoke, unlock("g-1"))


def test_entries_run_out() -> None:
    with pytest.raises(RuleViolationError, match="all 2 entries of the grant are used"):
        run(ACCESS_GRANT, grant("g-1"), unlock("g-1"), unlock("g-1"), unlock("g-1"))


def test_unknown_grant_cannot_be_used() -> None:
    with pytest.raises(RuleViolationError, match="no such grant"):
        run(ACCESS_GRANT, unlock("g-404"))


def test_replay_gives_decided_state() -> None:
    revoke = RevokeAccess(aggregate_id="g-1", reason=RevocationReason.SECURITY)
    commands = [grant("g-1"), unlock("g-1"), revoke]
    state, version, events = ACCESS_GRANT.initial_state(), 0, []
    for command in commands:
        outcome = execute(ACCESS_GRANT, state, version, command)
        state, version = outcome.state, outcome.version
        events.extend(outcome.events)

    replayed = replay_events(ACCESS_GRANT, events)

    assert replayed == state
    assert replayed.status is GrantStatus.REVOKED


def test_state_survives_json() -> None:
    state = run(DELIVERY, schedule("d-1")).state

    restored = DELIVERY.state_type.model_validate(state.model_dump(mode="json"))

    assert restored == state
