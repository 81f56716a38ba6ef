"""Timestamp rules: UTC instants, kept offsets and calendar dates, date-only values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from keybus.importer.timestamps import TimestampError, parse_offset, parse_timestamp

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def test_offsets_compare_as_instants() -> None:
    summer = parse_timestamp("2011-10-30 02:30:00+02:00")
    winter = parse_timestamp("2011-10-30 01:30:00+01:00")

    assert summer.epoch_ms == winter.epoch_ms == _ms(datetime(2011, 10, 30, 0, 30, tzinfo=UTC))
    assert (summer.offset_minutes, winter.offset_minutes) == (120, 60)


def test_local_midnight_keeps_date() -> None:
    parsed = parse_timestamp("2005-03-23 00:00:00+01:00")

    assert parsed.epoch_ms == _ms(datetime(2005, 3, 22, 23, 0, tzinfo=UTC))
    assert parsed.local_days == _days(date(2005, 3, 23))
    assert not parsed.date_only


def test_date_only_at_default_offset() -> None:
    parsed = parse_timestamp("2011-10-11", parse_offset("+02:00"))

    assert parsed.date_only
    assert parsed.offset_minutes is None
    assert parsed.epoch_ms == _ms(datetime(2011, 10, 10, 22, 0, tzinfo=UTC))
    assert parsed.local_days == _days(date(2011, 10, 11))


def test_sub_millisecond_digits_cut() -> None:
    parsed = parse_timestamp("2011-10-11T13:45:40.276999+00:00")

    assert parsed.sub_millisecond
    assert parsed.epoch_ms % 1000 == 276


def test_utc_designator_accepted() -> None:
    assert parse_timestamp("2012-10-09T14:50:17Z").offset_minutes == 0


@pytest.mark.parametrize("text", ["not-a-time", "2020-13-45 10:00:00+01:00", "", "12:00"])
def test_invalid_timestamp_message(text: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(text)

    assert f"{text!r} is not an ISO 8601 date or date-time" in str(caught.value)
    assert "2011-10-11 13:45:40.276+02:00" in str(caught.value)
