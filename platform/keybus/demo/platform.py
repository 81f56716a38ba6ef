"""Start and stop what the demo runs on: Kafka, the registry, topics, schemas, processors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from keybus.cluster import LocalKafka, keybus_home, region_cluster
from keybus.kafka import AdminClient
from keybus.registry.client import RegistryClient
from keybus.registry.server.local import LocalRegistry, region_registry
from keybus.schemas.catalog import Catalog
from keybus.schemas.gate import register_catalog
from keybus.streams.workers import WorkerGroup
from keybus.topics import apply_plan, describe_live, load_topics, plan

__all__ = ["DemoPlatform"]

logger = logging.getLogger(__name__)

Report = Callable[[str], None]


@dataclass
class DemoPlatform:
    """The local region `east` with the router, enricher and command handler running on it.

    Only what `start` started is stopped by `stop`: a Kafka or registry that was
    already running (for example after `keybus dev up`) is left running.
    """

    root: Path
    report: Report
    kafka: LocalKafka = field(default_factory=lambda: region_cluster("east"))
    registry: LocalRegistry = field(default_factory=lambda: region_registry("east"))
    workers: list[WorkerGroup] = field(default_factory=list)
    started_kafka: bool = False
    started_registry: bool = False

    @property
    def bootstrap_servers(self) -> str:
        """Kafka of the demo region."""
        return self.kafka.bootstrap_servers

    def start(self) -> None:
        """Start Kafka and the registry, apply topics, register schemas, start processors."""
        # Both ports are checked before either process starts, so a taken registry port
        # fails at once instead of after Kafka's start.
        self.kafka.check_ports()
        self.registry.check_port()
        self.started_kafka = self.kafka.start(on_progress=self.report)
        self.report(f"Kafka east at {self.bootstrap_servers}")
        self.started_registry = self.registry.start()
        self.report(f"Schema registry at {self.registry.url}")
        specs = load_topics(self.root / "deploy" / "topics.yaml")
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        changes = plan(specs, describe_live(admin, [spec.name for spec in specs]))
        apply_plan(admin, [change for change in changes if not change.is_empty])
        self.report(f"Applied {len(specs)} topic specs from deploy/topics.yaml")
        catalog = Catalog.load(self.root / "avro")
        with RegistryClient(self.registry.url) as client:
            subjects = register_catalog(catalog, client)
        self.report(f"Registered {len(subjects)} event schemas")
        self._start_processors()

    def _start_processors(self) -> None:
        environment = {
            "KEYBUS_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KEYBUS_REGISTRY_URL": self.registry.url,
            "KEYBUS_RULES_FILE": str(self.root / "deploy" / "rules.yaml"),
            "KEYBUS_CATALOG_DIR": str(self.root / "avro"),
            "KEYBUS_CATCH_ALL_TOPIC": "routing.unmatched",
            "KEYBUS_ENRICH_WAIT_MS": "1000",
            "KEYBUS_ENRICH_MAX_ATTEMPTS": "5",
        }
        for topology in ("router", "enricher", "commands"):
            group = WorkerGroup(
                with_parent=True,
                topology=topology,
                folder=keybus_home() / "demo" / topology,
                environment=environment,
            )
            group.start(1)
            self.workers.append(group)
        for group in self.workers:
            group.wait_healthy(1, seconds=3.0)
        self.report(
            "Started the router, the enricher and the command handler (one Faust worker each)"
        )

    def stop(self, *, keep: bool) -> None:
        """Stop the processors, and Kafka and the registry when the demo started them."""
        for group in self.workers:
            group.stop()
        if keep:
            self.report(
                "Left Kafka and the registry running (--keep); `keybus dev down` stops them"
            )
            return
        if self.started_registry:
            self.registry.stop()
        if self.started_kafka:
            self.kafka.stop()
        self.report("Stopped everything the demo started")
