"""Errors of region failover: no healthy region, failback refused, translation failed."""

from __future__ import annotations

from collections.abc import Sequence

from keybus.errors import KeybusError

__all__ = ["FailbackError", "FailoverError", "NoHealthyRegionError", "OffsetTranslationError"]


class FailoverError(KeybusError):
    """A client could not judge, choose or switch its region."""


class NoHealthyRegionError(FailoverError):
    """Every configured region failed its metadata request."""

    def __init__(self, regions: Sequence[str], timeout_s: float) -> None:
        super().__init__(
            f"No region answered a metadata request within {timeout_s:g} s "
            f"(tried {', '.join(regions)}). Check that the brokers run and are reachable, "
            "or raise health_timeout_s.",
            retryable=True,
        )
        self.regions = list(regions)


class FailbackError(FailoverError):
    """An explicit failback was requested while the primary region is still unhealthy."""

    def __init__(self, region: str, timeout_s: float) -> None:
        super().__init__(
            f"Cannot fail back to region '{region}': it did not answer a metadata request "
            f"within {timeout_s:g} s. Start its broker and retry failback.",
            retryable=True,
        )
        self.region = region


class OffsetTranslationError(FailoverError):
    """MirrorMaker's checkpoints or offset syncs could not be read from a region."""
