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

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

__all__ = [
    "LogTime",
    "TimestampError",
    "looks_like_date",
    "parse_offset",
    "parse_timestamp",
    "parse_timestamp_fields",
]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
_fromisoformat = datetime.fromisoformat


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
    return LogTime._make(parse_timestamp_fields(text, default_zone))


def parse_timestamp_fields(
    text: str, default_zone: timezone = UTC
) -> tuple[int, int | None, int, bool, bool]:
    """Parse like `parse_timestamp`, returning the fields of `LogTime` as a plain tuple.

    The importer calls this once per event, and a plain tuple is cheaper to build.

    Raises:
        TimestampError: the value is not an ISO 8601 date or date-time.
    """
    value = text.strip()
    try:
        moment = _fromisoformat(value)
    except ValueError as exc:
        raise TimestampError(
            f"{text!r} is not an ISO 8601 date or date-time ({exc}); expected a value "
            "such as 2011-10-11 13:45:40.276+02:00"
        ) from None
    zone = moment.tzinfo
    if zone is None:
        offset_us = _offset_us(default_zone)
        offset_minutes = None
    else:
        known = _ZONE_OFFSETS_US.get(zone)
        offset_us = _offset_us(zone) if known is None else known
        offset_minutes = int(offset_us / 1_000_000) // 60
    local_days = moment.toordinal() - _EPOCH_ORDINAL
    microsecond = moment.microsecond
    # Integer arithmetic on the fields in microseconds, floored to milliseconds, gives the
    # instant that subtracting datetimes gives, without building intermediate objects.
    local_s = ((local_days * 24 + moment.hour) * 60 + moment.minute) * 60 + moment.second
    epoch_us = local_s * 1_000_000 + microsecond - offset_us
    return epoch_us // 1000, offset_minutes, local_days, microsecond % 1000 != 0, len(value) == 10


def _offset_us(zone: tzinfo) -> int:
    """Return the UTC offset of a fixed zone in microseconds, remembering it by zone."""
    offset = zone.utcoffset(None)
    offset_us = 0 if offset is None else offset // _ONE_US
    if len(_ZONE_OFFSETS_US) < _MAX_ZONES:
        _ZONE_OFFSETS_US[zone] = offset_us
    return offset_us


# `fromisoformat` builds a new zone object per value, but equal zones hash alike, and
# looking one up is faster than asking it for its offset.
_ZONE_OFFSETS_US: dict[tzinfo, int] = {}
_MAX_ZONES = 1_000


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
