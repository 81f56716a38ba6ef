"""Region choice by health probes; the probe is a fake that reads a set of down regions."""

from __future__ import annotations

import pytest

from keybus.failover import (
    FailbackError,
    NoHealthyRegionError,
    RegionEndpoint,
    RegionSelector,
)
from keybus.types import Region

EAST = RegionEndpoint(Region("east"), "127.0.0.1:9092")
WEST = RegionEndpoint(Region("west"), "127.0.0.1:9192")
SOUTH = RegionEndpoint(Region("south"), "127.0.0.1:9292")


class FakeProbe:
    """A health probe that fails for the regions the test names in `down`."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.calls: list[str] = []

    def __call__(self, region: RegionEndpoint, timeout_s: float) -> bool:
        self.calls.append(region.name)
        return region.name not in self.down


def _selector(probe: FakeProbe, threshold: int = 3) -> RegionSelector:
    return RegionSelector([EAST, WEST, SOUTH], failure_threshold=threshold, probe=probe)


def test_selector_starts_in_primary() -> None:
    selector = _selector(FakeProbe())

    assert selector.active == EAST


def test_selector_switches_after_threshold_failures() -> None:
    probe = FakeProbe()
    selector = _selector(probe)
    probe.down = {"east"}

    results = [selector.check() for _ in range(3)]

    assert results[:2] == [None, None]
    assert results[2] == WEST
    assert selector.active == WEST


def test_success_resets_failure_count() -> None:
    probe = FakeProbe()
    selector = _selector(probe)
    probe.down = {"east"}
    selector.check()
    selector.check()
    probe.down = set()

    selector.check()

    assert selector.consecutive_failures == 0
    assert selector.active == EAST


def test_selector_skips_unhealthy_candidates() -> None:
    probe = FakeProbe()
    selector = _selector(probe, threshold=1)
    probe.down = {"east", "west"}

    switched = selector.check()

    assert switched == SOUTH


def test_selector_raises_when_no_region_answers() -> None:
    probe = FakeProbe()
    selector = _selector(probe, threshold=1)
    probe.down = {"east", "west", "south"}

    with pytest.raises(NoHealthyRegionError, match=r"tried east, west, south"):
        selector.check()


def test_selector_never_fails_back_by_itself() -> None:
    probe = FakeProbe()
    selector = _selector(probe, threshold=1)
    probe.down = {"east"}
    selector.check()
    probe.down = set()

    selector.check()

    assert selector.active == WEST


def test_failback_returns_to_healthy_primary() -> None:
    probe = FakeProbe()
    selector = _selector(probe, threshold=1)
    probe.down = {"east"}
    selector.check()
    probe.down = set()

    region = selector.failback()

    assert region == EAST
    assert selector.active == EAST


def test_failback_refused_while_primary_down() -> None:
    probe = FakeProbe()
    selector = _selector(probe, threshold=1)
    probe.down = {"east"}
    selector.check()

    with pytest.raises(FailbackError, match="Cannot fail back to region 'east'"):
        selector.failback()

    assert selector.active == WEST


def test_selector_rejects_zero_threshold() -> None:
    with pytest.raises(ValueError, match="failure_threshold must be 1 or more, got 0"):
        RegionSelector([EAST], failure_threshold=0)
