"""Topic specs for a consumer group's retry tiers, dead-letter topic and replay ledger."""

from __future__ import annotations

from keybus.retry.naming import dead_letter_topic_name, replay_ledger_topic_name, retry_topic_name
from keybus.retry.policy import RetryPolicy
from keybus.topics import TopicSpec

__all__ = ["DEAD_LETTER_RETENTION_MS", "RETRY_RETENTION_MS", "retry_topic_specs"]

RETRY_RETENTION_MS = 7 * 24 * 3600 * 1000
"""Retention of retry tiers: a week, far beyond the default 24 h maximum event age."""

DEAD_LETTER_RETENTION_MS = 28 * 24 * 3600 * 1000
"""Retention of dead-letter topics: four weeks to inspect and replay parked events."""


def retry_topic_specs(
    topic: str,
    group: str,
    policy: RetryPolicy,
    *,
    partitions: int = 1,
    replication_factor: int = 1,
    dead_letter_topic: str | None = None,
) -> list[TopicSpec]:
    """Return the specs of every topic `group` needs to retry and park events of `topic`.

    That is one retry tier per delay (none for in-place retries), the dead-letter topic
    and its compacted replay ledger. Retry tiers get the source topic's partition count
    so that the tier consumers scale like the source consumers.
    """
    retention_ms = max(RETRY_RETENTION_MS, int(policy.max_event_age_s * 1000) * 2)
    specs = []
    if policy.in_place is None:
        specs = [
            TopicSpec(
                name=retry_topic_name(topic, group, delay_s),
                partitions=partitions,
                replication_factor=replication_factor,
                config={"retention.ms": str(retention_ms)},
            )
            for delay_s in policy.tiers_s
        ]
    dead_letters = dead_letter_topic or dead_letter_topic_name(topic, group)
    specs.append(
        TopicSpec(
            name=dead_letters,
            partitions=partitions,
            replication_factor=replication_factor,
            config={"retention.ms": str(DEAD_LETTER_RETENTION_MS)},
        )
    )
    specs.append(
        TopicSpec(
            name=replay_ledger_topic_name(dead_letters),
            partitions=1,
            replication_factor=replication_factor,
            config={"cleanup.policy": "compact"},
        )
    )
    return specs
