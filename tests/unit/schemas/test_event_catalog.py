"""The avro/ event catalog and its loader; reads the repository's catalog and temporary copies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from keybus.schemas.catalog import Catalog, CatalogError
from keybus.serde import record_name_strategy, topic_name_strategy

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "avro"


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.load(CATALOG)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "avro"
    shutil.copytree(CATALOG, target)
    return target


def test_events_grouped_by_aggregate_topic(catalog: Catalog) -> None:
    topics = {
        topic: sorted(e.event_type for e in events) for topic, events in catalog.topics().items()
    }

    assert {
        "com.example.access.DeviceStatusChanged",
        "com.example.access.DoorLocked",
        "com.example.access.DoorUnlocked",
    } <= set(topics["lock-devices"])
    assert {
        "com.example.access.AccessGranted",
        "com.example.access.AccessRevoked",
    } <= set(topics["access-grants"])
    assert {
        "com.example.delivery.DeliveryCancelled",
        "com.example.delivery.DeliveryCompleted",
        "com.example.delivery.DeliveryScheduled",
    } <= set(topics["deliveries"])


def test_every_event_has_envelope(catalog: Catalog) -> None:
    for event in catalog:
        names = [f["name"] for f in event.schema["fields"]]

        assert names[:3] == ["event_id", "occurred_at", event.aggregate_id_field], event.event_type


def test_expanded_schemas_are_self_contained(catalog: Catalog) -> None:
    for event in catalog:
        assert event.parsed.name == event.event_type


def test_catalog_topics_declared_in_topics_yaml(catalog: Catalog) -> None:
    declared = {
        t["name"] for t in yaml.safe_load((ROOT / "deploy/topics.yaml").read_text())["topics"]
    }

    assert set(catalog.topics()) <= declared


def test_history_holds_old_version_oldest_first(catalog: Catalog) -> None:
    unlocked = catalog.event("DoorUnlocked")

    assert len(unlocked.history) == 1
    old_fields = {f["name"] for f in unlocked.history[0]["fields"]}
    new_fields = {f["name"] for f in unlocked.schema["fields"]}
    assert new_fields - old_fields == {"courier_id"}


def test_subject_strategies(catalog: Catalog) -> None:
    unlocked = catalog.event("com.example.access.DoorUnlocked")

    assert unlocked.subject() == "lock-devices-com.example.access.DoorUnlocked"
    assert unlocked.subject(topic_name_strategy) == "lock-devices-value"
    assert unlocked.subject(record_name_strategy) == "com.example.access.DoorUnlocked"


def test_unknown_event_name_lists_known(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.event("DoorOpened")

    assert "com.example.access.DoorUnlocked" in str(caught.value)


def test_file_named_after_other_type_rejected(copy: Path) -> None:
    (copy / "com.example.access.DoorLocked.avsc").rename(copy / "DoorLocked.avsc")

    with pytest.raises(CatalogError) as caught:
        Catalog.load(copy)

    assert "Rename it to com.example.access.DoorLocked.avsc" in str(caught.value)


def test_unknown_reference_rejected(copy: Path) -> None:
    (copy / "com.example.common.Money.avsc").unlink()

    with pytest.raises(CatalogError) as caught:
        Catalog.load(copy)

    assert "com.example.common.Money" in str(caught.value)
    assert "no file in the catalog defines" in str(caught.value)


def test_event_without_event_id_rejected(copy: Path) -> None:
    path = copy / "com.example.access.DoorLocked.avsc"
    schema = json.loads(path.read_text())
    schema["fields"] = schema["fields"][1:]
    path.write_text(json.dumps(schema))

    with pytest.raises(CatalogError) as caught:
        Catalog.load(copy)

    assert "needs field 'event_id'" in str(caught.value)


def test_missing_folder_names_setting(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog.load(tmp_path / "nowhere")

    assert "KEYBUS_CATALOG_DIR" in str(caught.value)
