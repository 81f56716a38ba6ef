"""Fuzz the registry's OpenAPI description with schemathesis: no 5xx, and a rejected
request never changes the store.

Real: a private `keybus registry serve` subprocess (fuzzing changes global settings, so
it must not share the session registry) on the session's Kafka. The number of generated
cases is bounded so that the test stays within about a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from confluent_kafka import Consumer, TopicPartition
from hypothesis import HealthCheck, Phase, given, settings, strategies

from keybus.testing.backends import KafkaEndpoint
from keybus.testing.registry import RegistryProcess, start_registry

MAX_EXAMPLES = 200


class StoreProbe:
    """Read the end offset of the registry's schemas topic."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap_servers, "group.id": f"{topic}-probe"}
        )
        self._partition = TopicPartition(topic, 0)

    def end_offset(self) -> int:
        """Return the offset after the last record of the schemas topic."""
        return int(self._consumer.get_watermark_offsets(self._partition, timeout=10.0)[1])

    def close(self) -> None:
        """Close the consumer."""
        self._consumer.close()


@pytest.fixture(scope="module")
def fuzzed_registry(
    kafka: KafkaEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RegistryProcess]:
    """Start a private registry with a few schemas for the fuzzer to find."""
    registry = start_registry(kafka.bootstrap_servers, log_dir=tmp_path_factory.mktemp("fuzz"))
    try:
        registry.wait_ready(primary=True)
        order = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}
        for subject in ("orders-value", "audit-value"):
            response = httpx.post(
                f"{registry.url}/subjects/{subject}/versions", json={"schema": json.dumps(order)}
            )
            response.raise_for_status()
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="module")
def probe(kafka: KafkaEndpoint, fuzzed_registry: RegistryProcess) -> Iterator[StoreProbe]:
    """Provide a probe of the fuzzed registry's schemas topic."""
    store_probe = StoreProbe(kafka.bootstrap_servers, fuzzed_registry.schemas_topic)
    yield store_probe
    store_probe.close()


def test_fuzzed_requests(fuzzed_registry: RegistryProcess, probe: StoreProbe) -> None:
    api = schemathesis.openapi.from_url(f"{fuzzed_registry.url}/openapi.json")
    cases = strategies.one_of(
        api.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        api.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )
    seen: list[str] = []

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        before = probe.end_offset()

        response = case.call(timeout=30)

        seen.append(case.operation.label)
        label = f"{case.method} {case.formatted_path} -> {response.status_code}"
        assert response.status_code < 500, (label, response.text)
        if response.status_code >= 400:
            assert set(response.json()) == {"error_code", "message"}, (label, response.text)
            assert probe.end_offset() == before, (label, response.text)

    check()

    assert len(set(seen)) >= 20, sorted(set(seen))
