"""Local Apache Kafka processes: fetch the jars, format storage, start and stop brokers."""

from __future__ import annotations

from keybus.cluster.distribution import KafkaDistribution, kafka_version, keybus_home
from keybus.cluster.errors import (
    BrokerStartError,
    ClusterError,
    ClusterPortMismatchError,
    DistributionError,
    PortInUseError,
    ToolNotFoundError,
)
from keybus.cluster.local import ClusterStatus, LocalKafka, find_java
from keybus.cluster.regions import known_regions, region_cluster

__all__ = [
    "BrokerStartError",
    "ClusterError",
    "ClusterPortMismatchError",
    "ClusterStatus",
    "DistributionError",
    "KafkaDistribution",
    "LocalKafka",
    "PortInUseError",
    "ToolNotFoundError",
    "find_java",
    "kafka_version",
    "keybus_home",
    "known_regions",
    "region_cluster",
]
