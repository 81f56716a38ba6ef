"""Two throwaway regions, east and west, with MirrorMaker 2 between them, for pytest.

Import the fixture into a conftest.py to use it:
`from keybus.testing.regions import two_regions  # noqa: F401`.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from keybus.cluster.local import LocalKafka
from keybus.cluster.mirror import LocalMirrorMaker
from keybus.failover.regions import RegionEndpoint
from keybus.testing.backends import local_kafka
from keybus.types import Region

__all__ = ["FAST_MIRROR_SETTINGS", "TwoRegions", "run_two_regions", "two_regions"]

FAST_MIRROR_SETTINGS: Mapping[str, str] = {
    "emit.checkpoints.interval.seconds": "1",
    "sync.group.offsets.interval.seconds": "1",
    "refresh.topics.interval.seconds": "2",
    "refresh.groups.interval.seconds": "2",
    "sync.topic.configs.interval.seconds": "5",
    "emit.heartbeats.interval.seconds": "1",
    "offset.lag.max": "10",
}
"""MirrorMaker intervals short enough for tests; `offset.lag.max` keeps translations close."""


@dataclass
class TwoRegions:
    """Region east (primary) and west (standby) with MirrorMaker copying east to west."""

    east: LocalKafka
    west: LocalKafka
    mirror: LocalMirrorMaker
    settings: Mapping[str, str]

    @property
    def east_endpoint(self) -> RegionEndpoint:
        """East as a failover region."""
        return RegionEndpoint(Region("east"), self.east.bootstrap_servers)

    @property
    def west_endpoint(self) -> RegionEndpoint:
        """West as a failover region."""
        return RegionEndpoint(Region("west"), self.west.bootstrap_servers)

    def restore(self) -> None:
        """Start east and MirrorMaker again where a test stopped or killed them."""
        self.east.start()
        if not self.mirror.is_running():
            self.mirror.start()

    def wait_for_topic(self, topic: str, timeout_s: float = 60.0) -> None:
        """Block until MirrorMaker has created `topic` in west."""
        admin = AdminClient({"bootstrap.servers": self.west.bootstrap_servers})
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if topic in admin.list_topics(timeout=5).topics:
                return
            time.sleep(0.5)
        raise TimeoutError(
            f"MirrorMaker did not create topic '{topic}' in west within {timeout_s:g} s; "
            f"see {self.mirror.log_path}."
        )


@contextlib.contextmanager
def run_two_regions(
    topology: str = "active-passive", settings: Mapping[str, str] = FAST_MIRROR_SETTINGS
) -> Iterator[TwoRegions]:
    """Run east, west and MirrorMaker on free ports; stop all three on exit."""
    with (
        local_kafka("east") as east,
        local_kafka("west") as west,
        tempfile.TemporaryDirectory(prefix="keybus-mirror-") as folder,
    ):
        mirror = LocalMirrorMaker(
            name="east-west",
            clusters={"east": east.bootstrap_servers, "west": west.bootstrap_servers},
            topology=topology,
            overrides=settings,
            targets=("west",) if topology == "active-passive" else (),
            home=Path(folder),
        )
        mirror.start()
        try:
            yield TwoRegions(east=east, west=west, mirror=mirror, settings=settings)
        finally:
            mirror.stop()


@pytest.fixture(scope="session")
def two_regions() -> Iterator[TwoRegions]:
    """Provide east and west with active-passive MirrorMaker for the whole session."""
    with run_two_regions() as regions:
        yield regions
