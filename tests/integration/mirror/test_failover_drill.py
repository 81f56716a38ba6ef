"""Losing east mid-stream: 5,000 events, SIGKILL, resume in west, then fail back.

Real east and west clusters, a real MirrorMaker 2 and real confluent-kafka clients, so
nothing is faked. MirrorMaker runs active-passive with one-second checkpoints and an
offset sync at least every 10 records. East's broker is killed with SIGKILL and restarted from its
data folder afterwards.
"""

from __future__ import annotations

import pytest

from keybus.failover.drill import DrillPlan, DrillRegions, run_failover_drill
from keybus.testing.regions import TwoRegions

EVENTS = 5000

# Time from a commit in east to a checkpoint that covers it, beyond the checkpoint
# interval itself: the offset sync must be replicated and read by the checkpoint task.
CHECKPOINT_SLACK_S = 2.0


def _kill_east(regions: TwoRegions) -> None:
    regions.east.stop(kill=True)


@pytest.mark.slow
def test_consumer_fails_over_and_back_without_loss(two_regions: TwoRegions) -> None:
    plan = DrillPlan(events=EVENTS)
    regions = DrillRegions(
        primary=two_regions.east_endpoint,
        standby=two_regions.west_endpoint,
        kill_primary=lambda: _kill_east(two_regions),
        restart_primary=two_regions.restore,
    )
    checkpoint_interval_s = float(two_regions.settings["emit.checkpoints.interval.seconds"])
    offset_lag_max = int(two_regions.settings["offset.lag.max"])

    report = run_failover_drill(regions, plan)

    print(report.render())
    duplicate_bound = (
        int(plan.consume_rate_per_s * (checkpoint_interval_s + CHECKPOINT_SLACK_S))
        + report.producer_resent
        + plan.partitions * offset_lag_max
    )
    assert report.events_acked == EVENTS, f"{EVENTS - report.events_acked} events never acked"
    assert report.acked_in_standby > 0, "the producer did not fail over"
    assert report.consumed_before_switch >= EVENTS // 2
    assert report.consumed_after_switch > 0, "the consumer did not resume in west"
    assert report.rto_s is not None
    assert set(report.start_sources.values()) == {"translated"}, report.start_sources
    assert set(report.lost) <= set(report.unreplicated_at_loss), (
        f"lost events that west held before the kill: "
        f"{sorted(set(report.lost) - set(report.unreplicated_at_loss))[:20]}"
    )
    assert report.duplicates <= duplicate_bound, (
        f"{report.duplicates} duplicates exceed the checkpoint bound {duplicate_bound}"
    )
    assert report.failback_events == plan.failback_events
    assert report.lost_after_failback == [], f"lost after failback: {report.lost_after_failback}"
    assert report.consumed_in_primary_after_failback >= plan.failback_events
