"""Drill figures computed from acks and consumed records built in the test."""

from __future__ import annotations

from keybus.failover.report import DrillReport


def _report() -> DrillReport:
    return DrillReport(topic="drill-t", group="drill-g", events_produced=6, loss_at=100.0)


def test_record_loss_lists_unreplicated_events() -> None:
    report = _report()
    acks = {
        0: ("east", 0, 0, 90.0),
        1: ("east", 0, 1, 99.0),
        2: ("east", 0, 2, 99.5),
        3: ("west", 0, 0, 101.0),
    }

    report.record_loss(acks, standby_ends={0: 1}, primary="east")

    assert report.unreplicated_at_loss == [1, 2]
    assert report.rpo_records == 2
    assert report.rpo_window_s == 1.0


def test_record_loss_with_nothing_unreplicated() -> None:
    report = _report()

    report.record_loss({0: ("east", 0, 0, 90.0)}, standby_ends={0: 1}, primary="east")

    assert report.unreplicated_at_loss == []
    assert report.rpo_window_s == 0.0


def test_summarise_failover_counts_loss_and_duplicates() -> None:
    report = _report()
    acks = {index: ("east" if index < 4 else "west", 0, index, 90.0) for index in range(6)}
    seen = [(0, "east", 95.0), (1, "east", 96.0), (1, "west", 103.0), (2, "west", 103.5)]
    seen += [(4, "west", 104.0), (5, "west", 104.0)]

    report.summarise_failover(acks, seen, primary="east")

    assert report.events_acked == 6
    assert report.acked_in_primary == 4
    assert report.consumed_before_switch == 2
    assert report.consumed_after_switch == 4
    assert report.lost == [3]
    assert report.duplicates == 1
    assert report.rto_s == 3.0


def test_summarise_failback_counts_recovered_events() -> None:
    report = _report()
    acks = {index: ("east", 0, index, 90.0) for index in range(4)}
    report.summarise_failover(acks, [(0, "east", 95.0), (1, "west", 103.0)], primary="east")
    report.failback_at = 110.0
    acks[4] = ("east", 0, 4, 111.0)
    seen = [(0, "east", 95.0), (1, "west", 103.0), (2, "west", 108.0), (3, "east", 112.0)]
    seen += [(4, "east", 112.0), (4, "east", 113.0)]

    report.summarise_failback(acks, seen, primary="east", first_new_index=4)

    assert report.failback_events == 1
    assert report.recovered_after_failback == 2
    assert report.lost_after_failback == []
    assert report.duplicates_after_failback == 1
    assert report.consumed_in_primary_after_failback == 3


def test_render_names_every_figure() -> None:
    report = _report()
    report.start_sources = {"drill-t-0": "translated", "drill-t-1": "translated"}

    text = report.render()

    for label in ("events produced", "events acked", "lost", "duplicates", "RTO", "RPO window"):
        assert label in text
    assert "2 partitions translated" in text
