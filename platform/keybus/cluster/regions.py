"""The local regions: one named Kafka cluster each, on the ports of its settings."""

from __future__ import annotations

from pathlib import Path

from keybus.cluster.distribution import keybus_home
from keybus.cluster.local import LocalKafka
from keybus.settings import DEFAULT_REGION_PORTS, region_settings

__all__ = ["known_regions", "region_cluster"]


def known_regions() -> list[str]:
    """Return the names of the regions keybus can run locally."""
    return list(DEFAULT_REGION_PORTS)


def region_cluster(region: str, home: Path | None = None) -> LocalKafka:
    """Return the local Kafka cluster of a named region."""
    ports = region_settings(region)
    return LocalKafka(
        name=region,
        port=ports.kafka_port,
        controller_port=ports.controller_port,
        home=home or keybus_home(),
    )
