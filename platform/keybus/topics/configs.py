"""Kafka topic config names and the allowed values of the enum-like ones."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

__all__ = ["ENUM_VALUES", "TOPIC_CONFIGS", "config_problems"]

TOPIC_CONFIGS: frozenset[str] = frozenset(
    {
        "cleanup.policy",
        "compression.gzip.level",
        "compression.lz4.level",
        "compression.type",
        "compression.zstd.level",
        "delete.retention.ms",
        "file.delete.delay.ms",
        "flush.messages",
        "flush.ms",
        "follower.replication.throttled.replicas",
        "index.interval.bytes",
        "leader.replication.throttled.replicas",
        "local.retention.bytes",
        "local.retention.ms",
        "max.compaction.lag.ms",
        "max.message.bytes",
        "message.timestamp.after.max.ms",
        "message.timestamp.before.max.ms",
        "message.timestamp.type",
        "min.cleanable.dirty.ratio",
        "min.compaction.lag.ms",
        "min.insync.replicas",
        "preallocate",
        "remote.log.copy.disable",
        "remote.log.delete.on.disable",
        "remote.storage.enable",
        "retention.bytes",
        "retention.ms",
        "segment.bytes",
        "segment.index.bytes",
        "segment.jitter.ms",
        "segment.ms",
        "unclean.leader.election.enable",
    }
)
"""Topic-level configs of Apache Kafka 4.1, the version pinned in deploy/kafka/pom.xml.

The names are the `*_CONFIG` constants of `org.apache.kafka.common.config.TopicConfig`
plus the two replication throttle configs, less `message.downconversion.enable`, which
Kafka 4 brokers no longer accept. An integration test compares them with the names the
broker returns from DescribeConfigs, so a Kafka pin that changes them fails that test.
"""

_BOOLEAN = ("true", "false")

ENUM_VALUES: Mapping[str, tuple[str, ...]] = {
    "cleanup.policy": ("compact", "delete"),
    "compression.type": ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    "message.timestamp.type": ("CreateTime", "LogAppendTime"),
    "preallocate": _BOOLEAN,
    "remote.log.copy.disable": _BOOLEAN,
    "remote.log.delete.on.disable": _BOOLEAN,
    "remote.storage.enable": _BOOLEAN,
    "unclean.leader.election.enable": _BOOLEAN,
}
"""Allowed values of the topic configs that take one of a fixed set.

`cleanup.policy` is a comma-separated list of its values. Kafka compares these values
case-sensitively, except booleans, which it reads in any case.
"""

_LIST_CONFIGS = frozenset({"cleanup.policy"})


def config_problems(topic: str, config: Mapping[str, str]) -> list[str]:
    """Return one message per unknown config name or invalid value in a topic's config."""
    problems = []
    for key, value in sorted(config.items()):
        if key not in TOPIC_CONFIGS:
            problems.append(
                f"topic '{topic}': config '{key}' is not a Kafka topic config"
                f"{_suggestion(key, TOPIC_CONFIGS)}"
            )
            continue
        allowed = ENUM_VALUES.get(key)
        if allowed is None:
            continue
        for item in _items(key, value):
            if _is_allowed(item, allowed):
                continue
            problems.append(
                f"topic '{topic}': config {key}={value!r} is invalid: {item!r} is not one "
                f"of {', '.join(allowed)}{_suggestion(item, allowed)}"
            )
    return problems


def _items(key: str, value: str) -> list[str]:
    if key in _LIST_CONFIGS:
        return [item.strip() for item in value.split(",")]
    return [value.strip()]


def _is_allowed(item: str, allowed: tuple[str, ...]) -> bool:
    if allowed == _BOOLEAN:
        return item.lower() in _BOOLEAN
    return item in allowed


def _suggestion(value: str, choices: frozenset[str] | tuple[str, ...]) -> str:
    matches = difflib.get_close_matches(value, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else "."
