"""Projections on real Kafka and the keybus registry: live build, HTTP reads, rebuilds.

Events are published with the keybus producer. The projections run in this process,
keep their SQLite files in a temporary folder and serve HTTP on a free loopback port.
A projection that is not idempotent, defined here, checks that a replay from a time
applies no event twice.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from keybus.catalog.com.example.access import DoorUnlocked
from keybus.client import Producer
from keybus.events import Event, utc_now
from keybus.registry.client import RegistryClient
from keybus.sourcing.errors import ProjectionError
from keybus.sourcing.projections import (
    Projection,
    ProjectionService,
    ProjectionStore,
    ReplayResult,
    SourceRecord,
    create_projection,
    dump_tables,
    replay_projection,
)
from keybus.testing import KafkaEndpoint, free_port

from .events import access_history, delivery_history, lock_directory

NAMES = ["delivery-status", "site-access"]


def publish(kafka: KafkaEndpoint, registry_url: str, prefix: str, events: list[Event]) -> None:
    """Publish events to their streams under `prefix`, registering their schemas."""
    with Producer(kafka.bootstrap_servers, registry_url, auto_register=True) as producer:
        for event in events:
            producer.publish_nowait(event, topic=prefix + event.topic())
        producer.flush()


def dump(name: str, path: Path) -> dict[str, list[dict[str, object]]]:
    """Return every row of a projection's database."""
    store = ProjectionStore(create_projection(name), path)
    try:
        return dump_tables(store)
    finally:
        store.close()


def test_live_model_served_and_rebuilt_equal(
    kafka: KafkaEndpoint, schema_registry: str, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    service = ProjectionService(
        NAMES,
        data_dir=tmp_path / "live",
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=schema_registry,
        topic_prefix=prefix,
        port=port,
    )
    access = access_history(40)
    publish(kafka, schema_registry, prefix, access[:60])
    service.start()
    publish(kafka, schema_registry, prefix, delivery_history(60) + access[60:])
    publish(kafka, schema_registry, prefix, lock_directory())
    try:
        assert service.wait_caught_up(timeout_s=60)
        base = f"http://127.0.0.1:{port}/projections"
        summary = {item["name"]: item for item in httpx.get(base, timeout=10).json()}
        delivery = httpx.get(f"{base}/delivery-status/tables/deliveries/d-0001", timeout=10)
        site = httpx.get(f"{base}/site-access/queries/site/site-1", timeout=10).json()
        missing = httpx.get(f"{base}/delivery-status/tables/deliveries/d-9999", timeout=10)
    finally:
        service.stop()
    rebuilt = {}
    for name in NAMES:
        result = replay_projection(
            create_projection(name),
            tmp_path / "rebuilt" / f"{name}.sqlite",
            bootstrap_servers=kafka.bootstrap_servers,
            registry=RegistryClient(schema_registry),
            topic_prefix=prefix,
        )
        assert result.rebuilt
        rebuilt[name] = dump(name, result.path)

    assert summary["delivery-status"]["rows"] == {"deliveries": 60}
    assert delivery.json()["status"] == "SCHEDULED"
    assert delivery.json()["times_scheduled"] == 2
    assert missing.status_code == 404
    assert "No row with delivery_id = 'd-9999'" in missing.json()["detail"]
    assert site
    assert {row["site_id"] for row in site} == {"site-1"}
    assert [row["occurred_at_ms"] for row in site] == sorted(row["occurred_at_ms"] for row in site)
    for name in NAMES:
        assert rebuilt[name] == dump(name, service.database(name)), name


def test_replay_from_time_matches_rebuild(
    kafka: KafkaEndpoint, schema_registry: str, prefix: str, tmp_path: Path
) -> None:
    registry = RegistryClient(schema_registry)
    name = "delivery-status"
    full = tmp_path / "full.sqlite"
    publish(kafka, schema_registry, prefix, delivery_history(30))
    replay_projection(
        create_projection(name),
        full,
        bootstrap_servers=kafka.bootstrap_servers,
        registry=registry,
        topic_prefix=prefix,
    )
    middle = utc_now()
    publish(kafka, schema_registry, prefix, delivery_history(45)[-20:])
    partial = tmp_path / "partial.sqlite"
    shutil.copy(full, partial)

    result = replay_projection(
        create_projection(name),
        partial,
        bootstrap_servers=kafka.bootstrap_servers,
        registry=registry,
        topic_prefix=prefix,
        since=middle - timedelta(seconds=1),
    )
    replay_projection(
        create_projection(name),
        full,
        bootstrap_servers=kafka.bootstrap_servers,
        registry=registry,
        topic_prefix=prefix,
    )

    assert not result.rebuilt
    assert result.records_read >= 20
    assert dump(name, partial) == dump(name, full)


def test_taken_port_fails_start(kafka: KafkaEndpoint, schema_registry: str, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        service = ProjectionService(
            NAMES,
            data_dir=tmp_path / "live",
            bootstrap_servers=kafka.bootstrap_servers,
            registry_url=schema_registry,
            port=port,
        )

        with pytest.raises(ProjectionError) as caught:
            service.start()

    assert f"failed to listen on 127.0.0.1:{port}" in str(caught.value)


class UnlockCounts(Projection):
    """Unlocks per lock, added up one event at a time, so an event applied twice counts twice."""

    name: ClassVar[str] = "unlock-counts"
    streams: ClassVar[tuple[str, ...]] = ("lock-devices",)
    event_types: ClassVar[tuple[type[Event], ...]] = (DoorUnlocked,)
    tables: ClassVar[dict[str, str]] = {"unlocks": "lock_id"}
    idempotent: ClassVar[bool] = False

    def create(self, db: sqlite3.Connection) -> None:
        """Create the unlocks table."""
        db.execute(
            "CREATE TABLE IF NOT EXISTS unlocks "
            "(lock_id TEXT PRIMARY KEY, unlocks INTEGER NOT NULL)"
        )

    def apply(self, db: sqlite3.Connection, event: Event, record: SourceRecord) -> None:
        """Add one unlock to the lock's count."""
        if not isinstance(event, DoorUnlocked):
            return
        db.execute(
            "INSERT INTO unlocks (lock_id, unlocks) VALUES (?, 1) "
            "ON CONFLICT (lock_id) DO UPDATE SET unlocks = unlocks + 1",
            (event.lock_id,),
        )


def test_replay_from_time_counts_once(
    kafka: KafkaEndpoint, schema_registry: str, prefix: str, tmp_path: Path
) -> None:
    registry = RegistryClient(schema_registry)
    access = access_history(30)
    full, current = tmp_path / "full.sqlite", tmp_path / "current.sqlite"

    def replay(path: Path, since: datetime | None = None) -> ReplayResult:
        return replay_projection(
            UnlockCounts(),
            path,
            bootstrap_servers=kafka.bootstrap_servers,
            registry=registry,
            topic_prefix=prefix,
            since=since,
        )

    def rows(path: Path) -> dict[str, list[dict[str, Any]]]:
        store = ProjectionStore(UnlockCounts(), path)
        try:
            return dump_tables(store)
        finally:
            store.close()

    publish(kafka, schema_registry, prefix, access[:50])
    replay(tmp_path / "stale.sqlite")
    publish(kafka, schema_registry, prefix, access[50:70])
    time.sleep(1.0)
    middle = utc_now()
    time.sleep(1.0)
    publish(kafka, schema_registry, prefix, access[70:])
    replay(full)
    shutil.copy(full, current)

    results = {
        path.stem: replay(path, middle)
        for path in (current, tmp_path / "stale.sqlite", tmp_path / "missing.sqlite")
    }

    expected = rows(full)
    assert sum(row["unlocks"] for row in expected["unlocks"]) == 23
    assert results["current"].records_reread > 0
    assert results["stale"].records_reread == 0
    assert results["missing"].rebuilt
    for name, result in results.items():
        assert rows(result.path) == expected, name
