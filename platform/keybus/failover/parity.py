"""Replication state between two regions: checkpoints and parity checks."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from confluent_kafka.admin import ConfigResource, ResourceType

from keybus.failover.checkpoints import read_checkpoints
from keybus.kafka import AdminClient

__all__ = [
    "Difference",
    "GroupCheckpoint",
    "compare_subjects",
    "compare_topics",
    "group_checkpoints",
    "mirrored_name",
    "mirrored_topics",
    "topics_copied_to",
]

logger = logging.getLogger(__name__)

# Topic configs MirrorMaker does not copy by default (config.properties.exclude of
# Apache Kafka 4.1's MirrorSourceConfig); a difference in these is expected.
_UNSYNCED_CONFIGS = frozenset(
    {
        "follower.replication.throttled.replicas",
        "leader.replication.throttled.replicas",
        "message.timestamp.difference.max.ms",
        "message.timestamp.type",
        "unclean.leader.election.enable",
        "min.insync.replicas",
    }
)


@dataclass(frozen=True)
class GroupCheckpoint:
    """The newest MirrorMaker checkpoint of one consumer group."""

    group: str
    partitions: int
    age_s: float | None


@dataclass(frozen=True)
class Difference:
    """One way in which the target region does not match the source."""

    kind: str
    name: str
    source: str
    target: str


def mirrored_name(topology: str, source_region: str) -> Callable[[str], str]:
    """Return how a source topic is named in the target for a topology."""
    if topology == "active-active":
        return lambda topic: f"{source_region}.{topic}"
    return lambda topic: topic


def _is_mirrored(name: str) -> bool:
    # Mirrors topics.exclude of deploy/mirrormaker plus MirrorMaker's own topics.
    internal = name.startswith("__") or name.endswith((".internal", ".replica"))
    return not internal and not name.endswith("_keybus") and not name.endswith("heartbeats")


def mirrored_topics(admin: AdminClient) -> dict[str, int]:
    """Return the partition count of every topic of a cluster that MirrorMaker copies."""
    metadata = admin.list_topics(timeout=10)
    return {
        name: len(topic.partitions) for name, topic in metadata.topics.items() if _is_mirrored(name)
    }


def topics_copied_to(admin: AdminClient, topology: str, target_region: str) -> dict[str, int]:
    """Return the partition count of every topic of a source that MirrorMaker copies to a region.

    In active-active, the source's copies of the target's own topics (`<target>.x`) are
    left out, because MirrorMaker's default replication policy never copies a topic back
    to the cluster it came from.
    """
    topics = mirrored_topics(admin)
    if topology != "active-active":
        return topics
    prefix = f"{target_region}."
    return {name: count for name, count in topics.items() if not name.startswith(prefix)}


def group_checkpoints(target_servers: str, source_region: str) -> list[GroupCheckpoint]:
    """Return each group's newest checkpoint in the target, with its age."""
    newest: dict[str, tuple[set[tuple[str, int]], int]] = {}
    for checkpoint in read_checkpoints(target_servers, source_region):
        partitions, latest_ms = newest.get(checkpoint.group, (set(), -1))
        partitions.add((checkpoint.topic, checkpoint.partition))
        newest[checkpoint.group] = (partitions, max(latest_ms, checkpoint.timestamp_ms))
    now_ms = time.time() * 1000
    return [
        GroupCheckpoint(group, len(partitions), (now_ms - at) / 1000 if at >= 0 else None)
        for group, (partitions, at) in sorted(newest.items())
    ]


def compare_topics(
    source_servers: str,
    target_servers: str,
    source_region: str,
    target_region: str,
    topology: str,
) -> list[Difference]:
    """List topics missing in the target, partition counts and configs that differ."""
    rename = mirrored_name(topology, source_region)
    source_admin = AdminClient({"bootstrap.servers": source_servers})
    target_admin = AdminClient({"bootstrap.servers": target_servers})
    source = topics_copied_to(source_admin, topology, target_region)
    target = mirrored_topics(target_admin)
    differences: list[Difference] = []
    for topic, partitions in sorted(source.items()):
        copy = rename(topic)
        if copy not in target:
            differences.append(Difference("topic missing", copy, f"{partitions} partitions", "-"))
            continue
        if target[copy] != partitions:
            differences.append(
                Difference("partition count", copy, str(partitions), str(target[copy]))
            )
        differences += _config_differences(source_admin, target_admin, topic, copy)
    return differences


def _topic_configs(admin: AdminClient, topic: str) -> dict[str, str]:
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=10)
    return {
        name: str(entry.value)
        for name, entry in entries.items()
        if not entry.is_default and name not in _UNSYNCED_CONFIGS
    }


def _config_differences(
    source_admin: AdminClient, target_admin: AdminClient, topic: str, copy: str
) -> list[Difference]:
    source = _topic_configs(source_admin, topic)
    target = _topic_configs(target_admin, copy)
    return [
        Difference(
            f"config {name}", copy, source.get(name, "(default)"), target.get(name, "(default)")
        )
        for name in sorted(set(source) | set(target))
        if source.get(name) != target.get(name)
    ]


def _subject_ids(registry_url: str) -> dict[str, int]:
    with httpx.Client(base_url=registry_url, timeout=10.0) as client:
        subjects = client.get("/subjects").raise_for_status().json()
        return {
            subject: int(
                client.get(f"/subjects/{quote(subject, safe='')}/versions/latest").json()["id"]
            )
            for subject in subjects
        }


def compare_subjects(source_registry: str, target_registry: str) -> list[Difference]:
    """List subjects missing in the target registry or whose latest schema id differs."""
    source = _subject_ids(source_registry)
    target = _subject_ids(target_registry)
    differences: list[Difference] = []
    for subject, schema_id in sorted(source.items()):
        if subject not in target:
            differences.append(Difference("subject missing", subject, f"id {schema_id}", "-"))
        elif target[subject] != schema_id:
            differences.append(
                Difference("schema id", subject, f"id {schema_id}", f"id {target[subject]}")
            )
    return differences
