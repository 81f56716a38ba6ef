"""A Faust monitor that keeps only the per-partition timestamps Faust itself reads."""

from __future__ import annotations

from time import monotonic
from typing import Any

from faust.sensors import Monitor
from faust.types import TP, EventT, Message, StreamT

__all__ = ["PartitionMonitor"]


class PartitionMonitor(Monitor):
    """Faust's monitor without the per-record counts and timings.

    Faust's default monitor updates several counters and timings for every record on its
    way in and out. They feed the statistics pages of the worker's web server, and
    keybus reads none of them. The time each partition's stream last took a record
    stays, because Faust's consumer reads it to log streams that stopped processing.
    Rebalance, commit, send and per-partition offset figures are kept as in `Monitor`.
    """

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        """Skip the per-record count of fetched records."""

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT[Any], event: EventT[Any]
    ) -> dict[str, Any] | None:
        """Record when the stream of `tp` last took a record."""
        self.stream_inbound_time[tp] = monotonic()
        return None

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: StreamT[Any],
        event: EventT[Any],
        state: dict[str, Any] | None = None,
    ) -> None:
        """Skip the per-record processing time."""

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        """Skip the per-record count of acknowledged records."""
