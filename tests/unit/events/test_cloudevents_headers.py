"""CloudEvents binary-mode headers and W3C traceparent; pure functions, nothing faked."""

from __future__ import annotations

import os
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from keybus.events import (
    InvalidTraceparentError,
    check_traceparent,
    event_headers,
    new_traceparent,
    read_headers,
)

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


def _headers(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "event_id": "0b9b1c62-0a53-4d42-9f49-3b2f8e0c6c11",
        "event_type": "com.example.access.DoorUnlocked",
        "source": "urn:test",
        "occurred_at": datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
        "subject": "lock-1",
    }
    return dict(event_headers(**{**arguments, **overrides}))  # type: ignore[arg-type]


def test_headers_carry_cloudevents_attributes() -> None:
    headers = _headers()

    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == "0b9b1c62-0a53-4d42-9f49-3b2f8e0c6c11"
    assert headers["ce_type"] == "com.example.access.DoorUnlocked"
    assert headers["ce_source"] == "urn:test"
    assert headers["ce_subject"] == "lock-1"
    assert headers["content-type"] == "application/avro"


def test_time_is_rfc3339_in_utc_with_milliseconds() -> None:
    assert _headers()["ce_time"] == "2026-03-01T12:00:00.123+00:00"


def test_time_matches_isoformat_in_utc() -> None:
    generator = random.Random(3)
    zones = [UTC, None, timezone(timedelta(0)), timezone(timedelta(hours=-9, minutes=-30))]
    for _ in range(2_000):
        moment = datetime(1, 1, 2, tzinfo=UTC) + timedelta(
            microseconds=generator.randrange(315_000_000_000_000_000)
        )
        zone = generator.choice(zones)
        local = moment.replace(tzinfo=None) if zone is None else moment.astimezone(zone)

        expected = moment.isoformat(timespec="milliseconds")

        assert _headers(occurred_at=local)["ce_time"] == expected, repr(local)


def test_time_with_offset_converted_to_utc() -> None:
    moment = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))

    assert _headers(occurred_at=moment)["ce_time"] == "2026-03-01T12:00:00.000+00:00"


def test_new_trace_started_when_none_given() -> None:
    first = _headers()["traceparent"]
    second = _headers()["traceparent"]

    assert isinstance(first, str)
    assert TRACEPARENT.match(first)
    assert first != second


def test_given_traceparent_passed_through() -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    assert _headers(traceparent=parent)["traceparent"] == parent


@pytest.mark.parametrize(
    "value",
    [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    ],
    ids=["no flags", "zero trace id", "zero span id", "upper case"],
)
def test_invalid_traceparent_rejected(value: str) -> None:
    with pytest.raises(InvalidTraceparentError) as caught:
        check_traceparent(value)

    assert value in str(caught.value)


def test_new_traceparent_valid() -> None:
    assert check_traceparent(new_traceparent())


def test_new_traceparents_unique() -> None:
    values = [new_traceparent() for _ in range(10_000)]

    assert len(set(values)) == len(values)
    assert all(check_traceparent(value) == value for value in values)


def test_traceparent_ignores_seeded_random() -> None:
    random.seed(7)
    first = new_traceparent()
    random.seed(7)
    second = new_traceparent()

    assert first != second


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_draws_other_traceparent() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(writer, new_traceparent().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    child = os.read(reader, 64).decode()
    os.close(reader)

    parent = new_traceparent()

    assert TRACEPARENT.match(child)
    assert child != parent


def test_read_headers_round_trip() -> None:
    attributes = read_headers(list(_headers().items()))  # type: ignore[arg-type]

    assert attributes.type == "com.example.access.DoorUnlocked"
    assert attributes.subject == "lock-1"
    assert attributes.spec_version == "1.0"
    assert attributes.traceparent is not None


def test_read_headers_tolerates_missing() -> None:
    attributes = read_headers(None)

    assert attributes.id is None
    assert attributes.traceparent is None
