"""Create the registry's topics: compacted, single-partition, durable."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaException
from confluent_kafka.admin import NewTopic

from keybus.errors import ConfigurationError
from keybus.kafka import AdminClient, check_brokers, unreachable_error
from keybus.registry.server.store import StoreTopics

__all__ = ["ensure_topics"]

logger = logging.getLogger(__name__)

_ADMIN_TIMEOUT_S = 30.0

_BOOTSTRAP_SETTING = (
    "--bootstrap-servers (-b), KEYBUS_BOOTSTRAP_SERVERS or KEYBUS_REGISTRY_BOOTSTRAP_SERVERS"
)


def ensure_topics(
    bootstrap_servers: str, topics: StoreTopics, replication_factor: int | None
) -> None:
    """Create missing registry topics, and reject existing ones with several partitions.

    Raises:
        BrokerUnavailableError: no Kafka broker could be reached at `bootstrap_servers`.
    """
    check_brokers(bootstrap_servers, setting=_BOOTSTRAP_SETTING)
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    try:
        metadata = admin.list_topics(timeout=_ADMIN_TIMEOUT_S)
    except KafkaException as exc:
        error = unreachable_error(exc, bootstrap_servers)
        if error is None:
            raise
        raise error from exc
    replicas = replication_factor or min(3, len(metadata.brokers))
    missing = []
    for name in (topics.schemas, topics.coordination):
        existing = metadata.topics.get(name)
        if existing is None or existing.error is not None:
            missing.append(_new_topic(name, replicas))
        elif len(existing.partitions) != 1:
            raise ConfigurationError(
                f"Topic {name} has {len(existing.partitions)} partitions, but the registry needs "
                "exactly one so that every instance applies records in one order. Use "
                "another topic name or recreate it with one partition."
            )
    if not missing:
        return
    for name, future in admin.create_topics(missing, request_timeout=_ADMIN_TIMEOUT_S).items():
        try:
            future.result()
            logger.info("Created registry topic topic=%s replication_factor=%s", name, replicas)
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise


def _new_topic(name: str, replicas: int) -> NewTopic:
    config = {
        "cleanup.policy": "compact",
        "min.insync.replicas": str(min(2, replicas)),
    }
    return NewTopic(name, num_partitions=1, replication_factor=replicas, config=config)
