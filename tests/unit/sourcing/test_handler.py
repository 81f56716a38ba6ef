"""The command handler's core and command records; the registry is the in-memory one."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from keybus.catalog.com.example.access import GrantUsed, RevocationReason
from keybus.registry.memory import InMemoryRegistry
from keybus.sourcing import (
    COMMAND_ID_HEADER,
    VERSION_HEADER,
    CommandProcessor,
    EventEncoder,
    EventReader,
    InvalidCommandError,
    StoredAggregate,
    decode_command,
    encode_command,
)
from keybus.sourcing.domain import ACCESS_GRANT, DELIVERY, RevokeAccess

from .factories import NOON, grant, schedule, unlock


def processor(registry: InMemoryRegistry) -> CommandProcessor:
    """Return a processor of access grant commands writing to `access-grants`."""
    encoder = EventEncoder(
        registry,
        source="urn:test",
        topic="access-grants",
        auto_register=True,
        event_types=ACCESS_GRANT.events,
    )
    return CommandProcessor(ACCESS_GRANT, encoder)


def test_command_round_trip() -> None:
    command = schedule("d-1", expected_version=0)

    key, value = encode_command(command)

    assert key == b"d-1"
    assert decode_command(DELIVERY, key, value) == command


def test_command_not_json_rejected() -> None:
    with pytest.raises(InvalidCommandError, match="is not JSON"):
        decode_command(DELIVERY, b"d-1", b"\xff{")


def test_command_of_other_aggregate_rejected() -> None:
    key, value = encode_command(unlock("g-1"))

    with pytest.raises(InvalidCommandError) as caught:
        decode_command(DELIVERY, key, value)

    assert "'UnlockDoor' is not a command of aggregate delivery" in caught.value.message
    assert "ScheduleDelivery" in caught.value.message


def test_command_key_must_match_aggregate() -> None:
    _key, value = encode_command(schedule("d-1"))

    with pytest.raises(InvalidCommandError, match="its record key is 'd-2'"):
        decode_command(DELIVERY, b"d-2", value)


def test_command_with_bad_field_rejected() -> None:
    body = json.loads(encode_command(schedule("d-1"))[1])
    body["window"] = "tomorrow"

    with pytest.raises(InvalidCommandError, match="field 'window'"):
        decode_command(DELIVERY, b"d-1", json.dumps(body).encode())


def test_accepted_command_encodes_versions() -> None:
    registry = InMemoryRegistry()
    handler = processor(registry)
    first = handler.process(*encode_command(grant("g-1")), None)

    second = handler.process(*encode_command(unlock("g-1")), first.stored)

    assert second.reply.accepted
    assert second.reply.version == 2
    headers = dict(second.events[0].headers)
    assert headers[VERSION_HEADER] == b"2"
    assert headers[COMMAND_ID_HEADER] == second.reply.command_id.encode()
    assert second.events[0].key == b"g-1"
    read = EventReader(registry, ACCESS_GRANT.events).read("access-grants", second.events[0].value)
    assert read is not None
    assert isinstance(read.event, GrantUsed)
    assert str(read.event.event_id) == second.reply.event_ids[0]


def test_rejected_command_appends_nothing() -> None:
    handler = processor(InMemoryRegistry())
    granted = handler.process(*encode_command(grant("g-1")), None)
    late = unlock("g-1", at=NOON + timedelta(hours=5))

    rejected = handler.process(*encode_command(late), granted.stored)

    assert not rejected.reply.accepted
    assert rejected.events == []
    assert rejected.stored is None
    assert rejected.reply.version == 1
    assert rejected.reply.error_code == "RULE_VIOLATED"


def test_unreadable_command_gets_reply() -> None:
    handler = processor(InMemoryRegistry())

    reply = handler.process(b"g-1", b"not json", None).reply

    assert reply.error_code == "INVALID_COMMAND"
    assert reply.aggregate_id == "g-1"


@pytest.mark.parametrize(
    ("previous", "version", "due"), [(0, 1, False), (2, 3, True), (3, 5, False), (5, 7, True)]
)
def test_snapshot_due_when_passing_multiple(previous: int, version: int, due: bool) -> None:
    handler = processor(InMemoryRegistry())
    stored = StoredAggregate(version=previous, state=ACCESS_GRANT.initial_state().model_dump())
    revoke = RevokeAccess(aggregate_id="g-1", reason=RevocationReason.SECURITY)
    processed = handler.process(*encode_command(revoke), stored)
    moved = type(processed)(
        processed.reply, processed.events, StoredAggregate(version, stored.state)
    )

    assert moved.snapshot_due(3, previous) is due
