"""Read what the processors wrote for the simulated events and account for every one."""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from keybus.batches import poll_batch
from keybus.demo.simulation import DEVICE_TOPIC, SimulationLog
from keybus.kafka import Consumer
from keybus.registry.client import RegistryClient
from keybus.retry.headers import ERROR_TYPE
from keybus.routing import RuleSet
from keybus.serde import AvroDeserializer

__all__ = ["Outcome", "collect"]

ENRICHED_TOPIC = "lock-devices.enriched"
CATCH_ALL_TOPIC = "routing.unmatched"
ROUTER_DEAD_LETTERS = "lock-devices.keybus-router.dlq"
ENRICHER_DEAD_LETTERS = "lock-devices.keybus-enricher.dlq"


@dataclass
class Outcome:
    """The final place of each simulated record."""

    routed: dict[str, set[str]] = field(default_factory=dict)
    """rule name -> event ids the router sent on for it."""
    unmatched: set[str] = field(default_factory=set)
    router_dead_letters: dict[str, str] = field(default_factory=dict)
    """record id -> error type the router gave."""
    enriched: dict[str, str] = field(default_factory=dict)
    """event id -> FOUND or MISSING."""
    enricher_dead_letters: dict[str, str] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    """Latency from publish to enriched output of each event whose lock was in the directory."""

    def routed_ids(self) -> set[str]:
        """Return the event ids that at least one rule sent on."""
        return set().union(*self.routed.values()) if self.routed else set()

    def percentile_ms(self, fraction: float) -> float:
        """Return a latency percentile in milliseconds (0 when nothing was measured)."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def median_ms(self) -> float:
        """Return the median latency in milliseconds."""
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    def is_complete(self, log: SimulationLog) -> bool:
        """Return whether every simulated record reached its final place."""
        routed_or_not = self.routed_ids() | self.unmatched
        return (
            set(log.device_events) <= routed_or_not
            and set(log.device_events) <= set(self.enriched)
            and set(log.broken) <= set(self.router_dead_letters)
            and set(log.broken) <= set(self.enricher_dead_letters)
        )


def collect(
    servers: str, registry_url: str, rules: RuleSet, log: SimulationLog, timeout_s: float
) -> Outcome:
    """Read the processors' outputs until every record is accounted for, or time runs out."""
    targets = sorted(
        {target for rule in rules if rule.source == DEVICE_TOPIC for target in rule.targets}
    )
    topics = [*targets, ENRICHED_TOPIC, CATCH_ALL_TOPIC, ROUTER_DEAD_LETTERS, ENRICHER_DEAD_LETTERS]
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"keybus-demo-summary-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(topics)
    decoder = AvroDeserializer(RegistryClient(registry_url))
    outcome = Outcome()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not outcome.is_complete(log):
            for record in poll_batch(consumer, 500, 0.5):
                if record.error() is None:
                    _account(record, outcome, log, decoder)
    finally:
        consumer.close()
    return outcome


def _account(record: Any, outcome: Outcome, log: SimulationLog, decoder: AvroDeserializer) -> None:
    headers = {
        name: (value or b"").decode("utf-8", "replace") for name, value in record.headers() or []
    }
    record_id = headers.get("ce_id", "")
    topic = record.topic()
    if topic == ROUTER_DEAD_LETTERS and record_id in log.broken:
        outcome.router_dead_letters[record_id] = _error_name(headers)
    elif topic == ENRICHER_DEAD_LETTERS and record_id in log.broken:
        outcome.enricher_dead_letters[record_id] = _error_name(headers)
    elif record_id not in log.device_events:
        return
    elif topic == CATCH_ALL_TOPIC:
        outcome.unmatched.add(record_id)
    elif topic == ENRICHED_TOPIC:
        first = record_id not in outcome.enriched
        reference = decoder.decode(record.value()).value["reference"]
        outcome.enriched[record_id] = reference
        published = log.published_at_ms.get(record_id)
        # Events of locks missing from the directory wait on purpose; they would
        # measure the wait budget, not the pipeline.
        if first and published is not None and reference == "FOUND":
            outcome.latencies_ms.append(max(0, record.timestamp()[1] - published))
    else:
        rule = headers.get("keybus_rule", "?")
        outcome.routed.setdefault(rule, set()).add(record_id)


def _error_name(headers: dict[str, str]) -> str:
    """Return the class name of the error in a dead letter's headers, without its module."""
    return headers.get(ERROR_TYPE, "?").rpartition(".")[2]
