"""Ordered regions, health by metadata requests, and the switch after repeated failures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from keybus.failover.errors import FailbackError, NoHealthyRegionError
from keybus.kafka import AdminClient
from keybus.types import Region

__all__ = ["HealthProbe", "RegionEndpoint", "RegionSelector", "metadata_probe"]

logger = logging.getLogger(__name__)

HealthProbe = Callable[["RegionEndpoint", float], bool]
"""A check of one region within a timeout in seconds; True when it is healthy."""


@dataclass(frozen=True)
class RegionEndpoint:
    """A region's name and the `bootstrap.servers` of its Kafka cluster."""

    name: Region
    bootstrap_servers: str


_admins: dict[str, AdminClient] = {}


def metadata_probe(region: RegionEndpoint, timeout_s: float) -> bool:
    """Return whether the region's cluster returns metadata within `timeout_s`."""
    admin = _admins.get(region.bootstrap_servers)
    if admin is None:
        admin = AdminClient({"bootstrap.servers": region.bootstrap_servers, "log_level": 0})
        _admins[region.bootstrap_servers] = admin
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - any failure counts as one unhealthy probe
        logger.debug("metadata probe failed region=%s error=%s", region.name, exc)
        return False
    return bool(metadata.brokers)


class RegionSelector:
    """Choose the region a client talks to, in the order given.

    The first region is the primary. `check()` probes the active region. After
    `failure_threshold` failed probes in a row, the selector switches to the first
    other region, in order, that passes a probe. It never switches back by itself:
    returning to the primary is the explicit `failback()`.
    """

    def __init__(
        self,
        regions: Sequence[RegionEndpoint],
        *,
        failure_threshold: int = 3,
        health_timeout_s: float = 2.0,
        probe: HealthProbe = metadata_probe,
    ) -> None:
        if not regions:
            raise ValueError("RegionSelector needs at least one region; pass the primary first.")
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be 1 or more, got {failure_threshold}.")
        self.regions: list[RegionEndpoint] = list(regions)
        self.failure_threshold = failure_threshold
        self.health_timeout_s = health_timeout_s
        self._probe = probe
        self._active = 0
        self._failures = 0

    @property
    def primary(self) -> RegionEndpoint:
        """The first region: where clients start and where failback returns."""
        return self.regions[0]

    @property
    def active(self) -> RegionEndpoint:
        """The region clients talk to now."""
        return self.regions[self._active]

    @property
    def consecutive_failures(self) -> int:
        """Failed probes or reported failures of the active region since its last success."""
        return self._failures

    def check(self) -> RegionEndpoint | None:
        """Probe the active region once; switch when it failed too often.

        Returns:
            The new active region when this call switched, else None.
        """
        if self._probe(self.active, self.health_timeout_s):
            self._failures = 0
            return None
        return self.record_failure()

    def record_failure(self) -> RegionEndpoint | None:
        """Count one failure of the active region, such as a delivery timeout.

        Returns:
            The new active region when this failure made the selector switch, else None.
        """
        self._failures += 1
        logger.warning(
            "region unhealthy region=%s consecutive_failures=%s threshold=%s",
            self.active.name,
            self._failures,
            self.failure_threshold,
        )
        if self._failures < self.failure_threshold:
            return None
        return self._switch_away()

    def failback(self) -> RegionEndpoint:
        """Return to the primary region once it passes a probe, or raise FailbackError."""
        if not self._probe(self.primary, self.health_timeout_s):
            raise FailbackError(self.primary.name, self.health_timeout_s)
        if self._active != 0:
            logger.warning("failing back region=%s from=%s", self.primary.name, self.active.name)
        self._active = 0
        self._failures = 0
        return self.primary

    def _switch_away(self) -> RegionEndpoint:
        failed = self._active
        order = [*range(failed + 1, len(self.regions)), *range(failed)]
        for index in order:
            candidate: RegionEndpoint = self.regions[index]
            if self._probe(candidate, self.health_timeout_s):
                logger.warning(
                    "failing over from=%s to=%s after consecutive_failures=%s",
                    self.regions[failed].name,
                    candidate.name,
                    self._failures,
                )
                self._active = index
                self._failures = 0
                return candidate
        names = [region.name for region in self.regions]
        raise NoHealthyRegionError(names, self.health_timeout_s)
