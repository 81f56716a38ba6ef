"""Fixtures of the retry integration tests: a group's retry and dead-letter topics.

Tests run with --import-mode=importlib, so this file registers the helpers in kit.py
as the module `retry_kit` for the test modules to import.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from keybus.retry import RetryPolicy
from keybus.retry.specs import retry_topic_specs
from keybus.testing.registry import schema_registry  # noqa: F401 - fixture for the SDK tests


def _register_kit() -> None:
    spec = importlib.util.spec_from_file_location("retry_kit", Path(__file__).with_name("kit.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["retry_kit"] = module
    spec.loader.exec_module(module)


_register_kit()

from retry_kit import GroupTopics  # noqa: E402


@pytest.fixture
def group_topics(kafka_admin: AdminClient) -> Iterator[GroupTopics]:
    """Create the retry tiers, dead-letter topic and ledger of a group; delete them after."""
    created: list[str] = []

    def create(source: str, group: str, policy: RetryPolicy, partitions: int = 1) -> list[str]:
        specs = retry_topic_specs(source, group, policy, partitions=partitions)
        new_topics = [
            NewTopic(spec.name, spec.partitions, spec.replication_factor, config=spec.config)
            for spec in specs
        ]
        for future in kafka_admin.create_topics(new_topics, request_timeout=30).values():
            future.result()
        created.extend(spec.name for spec in specs)
        return [spec.name for spec in specs]

    yield create

    if created:
        for future in kafka_admin.delete_topics(created, request_timeout=30).values():
            future.result()
