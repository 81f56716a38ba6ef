"""Read log timestamps as UTC instants, keeping the recorded offset and calendar date.

Rules, applied to every timestamp column:

- ISO 8601 date-times with an offset (`2011-10-11 13:45:40.276000+02:00`, `...T...Z`)
  become the UTC instant in milliseconds; the offset is kept in minutes, so events
  written in +01:00 and +02:00 compare as instants and the wall-clock time can be
  rebuilt.
- Date-times without an offset, and date-only values (`2011-10-11`, read as local
  midnight), are taken to be at the mapping's default offset; their offset is reported
  as missing.
- The calendar date as written is kept apart from the instant, because converting a
  local midnight to UTC can move it to the previous day.
- Digits below the millisecond are cut off (timestamp-millis), and counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import NamedTuple

__all__ = ["LogTime", "TimestampError", "looks_like_date", "parse_offset", "parse_timestamp"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_MS = timedelta(milliseconds=1)
_ZERO = timedelta(0)


class TimestampError(ValueError):
    """A value is not an ISO 8601 date or date-time."""


class LogTime(NamedTuple):
    """One parsed log timestamp; a named tuple because every event builds one.

    Attributes:
        epoch_ms: the UTC instant in milliseconds since 1970-01-01T00:00:00Z.
        offset_minutes: the UTC offset the value was written with, or None when it had
            none and the default offset was assumed.
        local_days: the calendar date as written, in days since 1970-01-01.
        sub_millisecond: True when digits below the millisecond were cut off.
        date_only: True when the value had no time of day.
    """

    epoch_ms: int
    offset_minutes: int | None
    local_days: int
    sub_millisecond: bool
    date_only: bool


def parse_offset(text: str) -> timezone:
    """Return the fixed zone of an offset written as +HH:MM or -HH:MM."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def parse_timestamp(text: str, default_zone: timezone = UTC) -> LogTime:
    """Parse an ISO 8601 date or date-time as the module docstring describes.

    Raises:
        TimestampError: the value is not an ISO 8601 date or date-time; the message
            says why.
    """
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise TimestampError(
            f"{text!r} is not an ISO 8601 date or date-time ({exc}); expected a value "
            "such as 2011-10-11 13:45:40.276+02:00"
        ) from None
    date_only = len(value) == 10
    offset = moment.utcoffset()
    if offset is None:
        moment = moment.replace(tzinfo=default_zone)
        offset = moment.utcoffset() or _ZERO
        offset_minutes = None
    else:
        offset_minutes = int(offset.total_seconds()) // 60
    local_days = moment.toordinal() - _EPOCH_ORDINAL
    if offset.microseconds:
        epoch_ms = (moment - _EPOCH) // _ONE_MS
    else:
        # Integer arithmetic on the fields, about twice as fast as subtracting datetimes
        # (timeit, CPython 3.11).
        local_s = local_days * 86_400 + moment.hour * 3_600 + moment.minute * 60 + moment.second
        offset_s = offset.days * 86_400 + offset.seconds
        epoch_ms = (local_s - offset_s) * 1_000 + moment.microsecond // 1_000
    return LogTime(
        epoch_ms=epoch_ms,
        offset_minutes=offset_minutes,
        local_days=local_days,
        sub_millisecond=moment.microsecond % 1000 != 0,
        date_only=date_only,
    )


def looks_like_date(text: str) -> bool:
    """Return whether `text` starts like an ISO 8601 date (YYYY-MM-DD)."""
    return (
        len(text) >= 10
        and text[4] == "-"
        and text[7] == "-"
        and text[:4].isdigit()
        and text[5:7].isdigit()
        and text[8:10].isdigit()
    )
