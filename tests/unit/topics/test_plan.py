"""Planning topic changes against a described live state (pure logic, no broker)."""

from __future__ import annotations

import pytest

from keybus.topics import ConfigChange, LiveTopic, TopicPlanError, TopicSpec, plan


def _live(name: str, partitions: int, config: dict[str, str] | None = None) -> LiveTopic:
    return LiveTopic(name, partitions, 1, config or {})


def test_missing_topic_is_created() -> None:
    spec = TopicSpec(name="orders", partitions=3)

    [change] = plan([spec], {})

    assert change.create
    assert change.describe() == ["+ create orders partitions=3 replication_factor=1"]


def test_matching_topic_is_unchanged() -> None:
    spec = TopicSpec(name="orders", partitions=3, config={"retention.ms": "10"})

    [change] = plan([spec], {"orders": _live("orders", 3, {"retention.ms": "10"})})

    assert change.is_empty


def test_more_partitions_grow_the_topic() -> None:
    spec = TopicSpec(name="orders", partitions=6)

    [change] = plan([spec], {"orders": _live("orders", 3)})

    assert change.partitions_from == 3
    assert change.describe() == ["~ orders partitions 3 -> 6"]


def test_fewer_partitions_are_rejected_with_fix() -> None:
    spec = TopicSpec(name="orders", partitions=2)

    with pytest.raises(TopicPlanError) as excinfo:
        plan([spec], {"orders": _live("orders", 3)})

    message = str(excinfo.value)
    assert "Topic 'orders' has 3 partitions but its spec asks for 2" in message
    assert "Kafka cannot remove partitions" in message
    assert "set partitions to 3 or more" in message
    assert excinfo.value.topic == "orders"


def test_other_replication_factor_is_rejected() -> None:
    spec = TopicSpec(name="orders", partitions=3, replication_factor=3)

    with pytest.raises(TopicPlanError) as excinfo:
        plan([spec], {"orders": _live("orders", 3)})

    assert "replication factor 1 but its spec asks for 3" in str(excinfo.value)


def test_config_is_set_changed_and_reset() -> None:
    spec = TopicSpec(name="t", config={"retention.ms": "20", "cleanup.policy": "compact"})
    live = _live("t", 1, {"retention.ms": "10", "segment.ms": "5"})

    [change] = plan([spec], {"t": live})

    assert change.config_changes == (
        ConfigChange("cleanup.policy", None, "compact"),
        ConfigChange("retention.ms", "10", "20"),
        ConfigChange("segment.ms", "5", None),
    )
    assert "- t config segment.ms=5 (reset to default)" in change.describe()
