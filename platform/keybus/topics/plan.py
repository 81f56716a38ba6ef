"""Plan and apply topic specs against a live cluster with confluent-kafka's AdminClient."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
)

from keybus.kafka import AdminClient
from keybus.topics.errors import TopicPlanError
from keybus.topics.spec import TopicSpec

__all__ = ["ConfigChange", "LiveTopic", "TopicChange", "apply_plan", "describe_live", "plan"]

logger = logging.getLogger(__name__)

_ADMIN_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class LiveTopic:
    """The live state of one topic: partitions, replicas and explicitly set configs."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


@dataclass(frozen=True)
class ConfigChange:
    """One topic config to set, or to reset to the broker default when `new` is None."""

    key: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class TopicChange:
    """The changes that bring one live topic to its spec."""

    spec: TopicSpec
    create: bool = False
    partitions_from: int | None = None
    config_changes: tuple[ConfigChange, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        """Whether the topic already matches its spec."""
        return not self.create and self.partitions_from is None and not self.config_changes

    def describe(self) -> list[str]:
        """Return one human-readable line per change, in `+ ~ -` diff style."""
        name = self.spec.name
        if self.create:
            configs = ", ".join(f"{k}={v}" for k, v in sorted(self.spec.config.items()))
            return [
                f"+ create {name} partitions={self.spec.partitions} "
                f"replication_factor={self.spec.replication_factor}"
                + (f" config: {configs}" if configs else "")
            ]
        lines = []
        if self.partitions_from is not None:
            lines.append(f"~ {name} partitions {self.partitions_from} -> {self.spec.partitions}")
        for change in self.config_changes:
            if change.new is None:
                lines.append(f"- {name} config {change.key}={change.old} (reset to default)")
            else:
                lines.append(f"~ {name} config {change.key} {change.old} -> {change.new}")
        return lines


def plan(specs: Sequence[TopicSpec], live: dict[str, LiveTopic]) -> list[TopicChange]:
    """Compare specs with live topics and return the changes, empty ones included.

    Raises:
        TopicPlanError: a spec requests fewer partitions or another replication
            factor than the live topic has, and Kafka can do neither in place.
    """
    return [_plan_topic(spec, live.get(spec.name)) for spec in specs]


def _plan_topic(spec: TopicSpec, live: LiveTopic | None) -> TopicChange:
    if live is None:
        return TopicChange(spec=spec, create=True)
    if spec.partitions < live.partitions:
        raise TopicPlanError(
            f"Topic '{spec.name}' has {live.partitions} partitions but its spec asks for "
            f"{spec.partitions}. Kafka cannot remove partitions: set partitions to "
            f"{live.partitions} or more, or create a new topic and migrate to it.",
            topic=spec.name,
        )
    if spec.replication_factor != live.replication_factor:
        raise TopicPlanError(
            f"Topic '{spec.name}' has replication factor {live.replication_factor} but its "
            f"spec asks for {spec.replication_factor}. keybus does not reassign replicas: "
            f"set replication_factor to {live.replication_factor}, or reassign with "
            "kafka-reassign-partitions.",
            topic=spec.name,
        )
    partitions_from = live.partitions if spec.partitions > live.partitions else None
    return TopicChange(
        spec=spec,
        partitions_from=partitions_from,
        config_changes=tuple(_config_changes(spec.config, live.config)),
    )


def _config_changes(wanted: dict[str, str], live: dict[str, str]) -> Iterable[ConfigChange]:
    for key in sorted(wanted.keys() | live.keys()):
        old, new = live.get(key), wanted.get(key)
        if old != new:
            yield ConfigChange(key=key, old=old, new=new)


def describe_live(admin: AdminClient, names: Iterable[str]) -> dict[str, LiveTopic]:
    """Read partitions, replication factor and explicitly set configs of existing topics."""
    metadata = admin.list_topics(timeout=_ADMIN_TIMEOUT_S)
    existing = [name for name in names if name in metadata.topics]
    if not existing:
        return {}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in existing]
    futures = admin.describe_configs(resources, request_timeout=_ADMIN_TIMEOUT_S)
    live = {}
    for resource, future in futures.items():
        entries: dict[str, ConfigEntry] = future.result()
        explicit = {
            key: str(entry.value)
            for key, entry in entries.items()
            if entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value  # type: ignore[comparison-overlap]
        }
        partitions = metadata.topics[resource.name].partitions
        replicas = len(next(iter(partitions.values())).replicas) if partitions else 0
        live[resource.name] = LiveTopic(resource.name, len(partitions), replicas, explicit)
    return live


def apply_plan(admin: AdminClient, changes: Sequence[TopicChange]) -> None:
    """Create, grow and reconfigure topics so that they match their specs."""
    _create(admin, [change.spec for change in changes if change.create])
    _grow(admin, [change for change in changes if change.partitions_from is not None])
    _reconfigure(admin, [change for change in changes if change.config_changes])


def _create(admin: AdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    new_topics = [
        NewTopic(spec.name, spec.partitions, spec.replication_factor, config=dict(spec.config))
        for spec in specs
    ]
    futures = admin.create_topics(new_topics, request_timeout=_ADMIN_TIMEOUT_S)
    _wait_all(futures, "create topic")
    for spec in specs:
        logger.info("created topic=%s partitions=%s", spec.name, spec.partitions)


def _grow(admin: AdminClient, changes: list[TopicChange]) -> None:
    if not changes:
        return
    requests = [NewPartitions(change.spec.name, change.spec.partitions) for change in changes]
    _wait_all(admin.create_partitions(requests, request_timeout=_ADMIN_TIMEOUT_S), "add partitions")
    for change in changes:
        logger.info(
            "added partitions topic=%s from=%s to=%s",
            change.spec.name,
            change.partitions_from,
            change.spec.partitions,
        )


def _reconfigure(admin: AdminClient, changes: list[TopicChange]) -> None:
    if not changes:
        return
    resources = []
    for change in changes:
        entries = [_alter_entry(config) for config in change.config_changes]
        resources.append(
            ConfigResource(ConfigResource.Type.TOPIC, change.spec.name, incremental_configs=entries)
        )
    futures = admin.incremental_alter_configs(resources, request_timeout=_ADMIN_TIMEOUT_S)
    _wait_all(futures, "alter topic config")


def _alter_entry(change: ConfigChange) -> ConfigEntry:
    if change.new is None:
        return ConfigEntry(change.key, None, incremental_operation=AlterConfigOpType.DELETE)
    return ConfigEntry(change.key, change.new, incremental_operation=AlterConfigOpType.SET)


def _wait_all(futures: Mapping[Any, Future[Any]], action: str) -> None:
    for target, future in futures.items():
        name = getattr(target, "name", target)
        try:
            future.result()
        except KafkaException as exc:
            raise TopicPlanError(
                f"Failed to {action} for '{name}': {exc}", topic=str(name)
            ) from exc
