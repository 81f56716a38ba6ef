"""Two throwaway regions, east and west, with MirrorMaker 2 between them, for pytest.

Import the fixture into a conftest.py to use it:
`from keybus.testing.regions import two_regions  # noqa: F401`.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from keybus.cluster.errors import BrokerStartError
from keybus.cluster.local import LocalKafka
from keybus.cluster.mirror import LocalMirrorMaker
from keybus.failover.drill import DRILL_MIRROR_SETTINGS
from keybus.failover.regions import RegionEndpoint
from keybus.kafka import AdminClient
from keybus.testing.backends import local_kafka
from keybus.types import Region

__all__ = ["FAST_MIRROR_SETTINGS", "TwoRegions", "run_two_regions", "two_regions"]

logger = logging.getLogger(__name__)

FAST_MIRROR_SETTINGS = DRILL_MIRROR_SETTINGS
"""MirrorMaker intervals short enough for tests."""


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
    with contextlib.ExitStack() as stack:
        east = _start_cluster(stack, "east")
        west = _start_cluster(stack, "west")
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="keybus-mirror-"))
        mirror = LocalMirrorMaker(
            name="east-west",
            clusters={"east": east.bootstrap_servers, "west": west.bootstrap_servers},
            topology=topology,
            overrides=settings,
            targets=("west",) if topology == "active-passive" else (),
            home=Path(folder),
            with_parent=True,
        )
        mirror.start()
        stack.callback(mirror.stop)
        yield TwoRegions(east=east, west=west, mirror=mirror, settings=settings)


def _start_cluster(stack: contextlib.ExitStack, prefix: str, attempts: int = 2) -> LocalKafka:
    # A broker start that fails with a retryable error (for example storage formatting
    # that rejected a generated cluster id) gets one more attempt on fresh ports.
    for attempt in range(1, attempts + 1):
        try:
            return stack.enter_context(local_kafka(prefix))
        except BrokerStartError as exc:
            if attempt == attempts or not exc.retryable:
                raise
            logger.warning("retrying cluster start prefix=%s error=%s", prefix, exc.message)
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def two_regions() -> Iterator[TwoRegions]:
    """Provide east and west with active-passive MirrorMaker for the whole session."""
    with run_two_regions() as regions:
        yield regions
