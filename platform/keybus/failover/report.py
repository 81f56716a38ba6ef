"""The figures of a failover drill and their text rendering."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["DrillReport"]

Ack = tuple[str, int, int, float]
"""(region, partition, offset, monotonic time of the ack) of one acked event."""

Seen = tuple[int, str, float]
"""(event index, region, monotonic time) of one consumed record."""


@dataclass
class DrillReport:
    """What a drill measured; times are `time.monotonic()` seconds.

    Attributes:
        unreplicated_at_loss: events the primary had acked but the standby did not hold
            when the primary was killed; only these may be lost by the failover.
        rpo_window_s: age, at the kill, of the oldest of those events.
        lost: acked events never consumed by the end of the failover phase.
        duplicates: consumed records beyond the first of each event, failover phase.
        rto_s: from the kill to the first record consumed in the standby.
        producer_resent: records the producer sent again to the standby because the
            primary never acked them; those it had written anyway come back as duplicates.
        start_sources: per partition, what chose the consumer's start in the standby.
    """

    topic: str
    group: str
    events_produced: int
    loss_at: float = 0.0
    switched_at: float = 0.0
    consumed_at_loss: int = 0
    unreplicated_at_loss: list[int] = field(default_factory=list)
    rpo_window_s: float = 0.0
    events_acked: int = 0
    acked_in_primary: int = 0
    acked_in_standby: int = 0
    consumed_before_switch: int = 0
    consumed_after_switch: int = 0
    lost: list[int] = field(default_factory=list)
    duplicates: int = 0
    rto_s: float | None = None
    producer_resent: int = 0
    start_sources: dict[str, str] = field(default_factory=dict)
    primary_back_at: float | None = None
    failback_at: float | None = None
    failback_events: int = 0
    recovered_after_failback: int = 0
    lost_after_failback: list[int] = field(default_factory=list)
    duplicates_after_failback: int = 0
    consumed_in_primary_after_failback: int = 0

    def record_loss(self, acks: dict[int, Ack], standby_ends: dict[int, int], primary: str) -> None:
        """Note which primary-acked events the standby did not hold when the primary died.

        Compares each event's offset in the primary with the standby's end offset of the
        same partition. NOTE: this assumes a mirrored partition keeps the source offsets,
        which holds for a fresh topic written without transactions, as in the drill.
        """
        unreplicated = [
            (index, acked_at)
            for index, (region, partition, offset, acked_at) in acks.items()
            if region == primary and offset >= standby_ends.get(partition, 0)
        ]
        self.unreplicated_at_loss = sorted(index for index, _at in unreplicated)
        oldest = min((acked_at for _index, acked_at in unreplicated), default=self.loss_at)
        self.rpo_window_s = max(self.loss_at - oldest, 0.0)

    def summarise_failover(self, acks: dict[int, Ack], seen: list[Seen], primary: str) -> None:
        """Count acks, consumed records per region, losses, duplicates and the RTO."""
        self.events_acked = len(acks)
        self.acked_in_primary = sum(1 for ack in acks.values() if ack[0] == primary)
        self.acked_in_standby = self.events_acked - self.acked_in_primary
        self.consumed_before_switch = sum(1 for _i, region, _at in seen if region == primary)
        after = [(index, at) for index, region, at in seen if region != primary]
        self.consumed_after_switch = len(after)
        self.rto_s = (
            min((at for _i, at in after), default=self.loss_at) - self.loss_at if after else None
        )
        consumed = Counter(index for index, _region, _at in seen)
        self.lost = sorted(set(acks) - set(consumed))
        self.duplicates = sum(count - 1 for count in consumed.values())

    def summarise_failback(
        self, acks: dict[int, Ack], seen: list[Seen], primary: str, first_new_index: int
    ) -> None:
        """Count what the failback recovered, lost and repeated."""
        consumed = Counter(index for index, _region, _at in seen)
        self.failback_events = sum(1 for index in acks if index >= first_new_index)
        self.recovered_after_failback = sum(1 for index in self.lost if index in consumed)
        self.lost_after_failback = sorted(set(acks) - set(consumed))
        self.duplicates_after_failback = (
            sum(count - 1 for count in consumed.values()) - self.duplicates
        )
        failback_at = self.failback_at or 0.0
        self.consumed_in_primary_after_failback = sum(
            1 for _i, region, at in seen if region == primary and at >= failback_at
        )

    @property
    def rpo_records(self) -> int:
        """Events acked by the primary but not yet in the standby at the kill."""
        return len(self.unreplicated_at_loss)

    def _start_summary(self) -> str:
        counts = Counter(self.start_sources.values())
        return ", ".join(f"{count} partitions {source}" for source, count in sorted(counts.items()))

    def render(self) -> str:
        """Return the report as aligned text lines."""
        rto = f"{self.rto_s:.1f} s" if self.rto_s is not None else "no event consumed in standby"
        lines = [
            f"topic {self.topic}, consumer group {self.group}",
            f"events produced                 {self.events_produced}",
            f"events acked                    {self.events_acked} "
            f"(primary {self.acked_in_primary}, standby {self.acked_in_standby})",
            f"consumed before the switch      {self.consumed_before_switch}",
            f"consumed after the switch       {self.consumed_after_switch}",
            f"lost (acked, never consumed)    {len(self.lost)}",
            f"duplicates                      {self.duplicates} "
            f"(producer re-sent {self.producer_resent} unacked records)",
            f"start offsets in the standby    {self._start_summary()}",
            f"RTO (kill to first event)       {rto}",
            f"RPO window at the kill          {self.rpo_records} events, {self.rpo_window_s:.2f} s",
        ]
        if self.failback_at is not None:
            lines += [
                "failback to the primary",
                f"  events produced after         {self.failback_events}",
                f"  consumed in primary after     {self.consumed_in_primary_after_failback}",
                f"  lost events recovered         {self.recovered_after_failback}",
                f"  lost after failback           {len(self.lost_after_failback)}",
                f"  duplicates during failback    {self.duplicates_after_failback}",
            ]
        return "\n".join(lines)
