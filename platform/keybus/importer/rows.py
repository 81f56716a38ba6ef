"""The row type every log reader yields."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SourceRow"]


class SourceRow(NamedTuple):
    """One event as the log recorded it; a named tuple because readers build one per row.

    Attributes:
        row: the 1-based position of the event in file order.
        values: the event's values by column; a column absent from this event (XES) is
            not a key, an empty CSV field is the empty string.
        error: why the row cannot be read as an event, for example a CSV row with too
            many fields; None for a readable row.
    """

    row: int
    values: dict[str, str]
    error: str | None = None
