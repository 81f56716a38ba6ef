"""MirrorMaker 2 properties: the deploy files and the generated mm2.properties; no JVM runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybus.cluster.mirror import TOPOLOGIES, LocalMirrorMaker, mirror_config_path
from keybus.errors import ConfigurationError

REQUIRED = {
    "emit.checkpoints.enabled": "true",
    "sync.group.offsets.enabled": "true",
    "emit.heartbeats.enabled": "true",
    "sync.topic.configs.enabled": "true",
    "checkpoints.topic.replication.factor": "1",
    "offset-syncs.topic.replication.factor": "1",
    "heartbeats.topic.replication.factor": "1",
    "offset.storage.replication.factor": "1",
    "status.storage.replication.factor": "1",
    "config.storage.replication.factor": "1",
    "replication.factor": "1",
}


def _properties(text: str) -> dict[str, str]:
    """Parse key=value lines the way a Java properties file does: the last value wins."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_topology_file_sets_required_keys(topology: str) -> None:
    values = _properties(mirror_config_path(topology).read_text())

    for key, expected in REQUIRED.items():
        assert values.get(key) == expected, f"{topology}: {key}={values.get(key)}"
    assert "_schemas_keybus" in values["topics.exclude"]
    assert "_schemas" not in values["topics.exclude"].replace("_schemas_keybus", "")


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_topology_file_copies_committed_records_only(topology: str) -> None:
    values = _properties(mirror_config_path(topology).read_text())

    sources = [
        key.split("->")[0]
        for key, value in values.items()
        if "->" in key and key.endswith(".enabled") and value == "true"
    ]

    assert sources, f"{topology}: no enabled flow"
    for source in sources:
        isolation = values.get(f"{source}.consumer.isolation.level")
        assert isolation == "read_committed", f"{topology}: {source} reads {isolation}"


def test_active_passive_keeps_topic_names() -> None:
    values = _properties(mirror_config_path("active-passive").read_text())

    assert values["replication.policy.class"].endswith("IdentityReplicationPolicy")
    assert values["east->west.enabled"] == "true"
    assert values["west->east.enabled"] == "false"


def test_active_active_prefixes_copies() -> None:
    values = _properties(mirror_config_path("active-active").read_text())

    assert values["replication.policy.class"].endswith("DefaultReplicationPolicy")
    assert values["east->west.enabled"] == "true"
    assert values["west->east.enabled"] == "true"


def test_rendered_properties_override_file_values(tmp_path: Path) -> None:
    mirror = LocalMirrorMaker(
        name="render",
        clusters={"east": "127.0.0.1:19092", "west": "127.0.0.1:19192"},
        overrides={"emit.checkpoints.interval.seconds": "1"},
        home=tmp_path,
    )

    values = _properties(mirror.render_properties())

    assert values["east.bootstrap.servers"] == "127.0.0.1:19092"
    assert values["west.bootstrap.servers"] == "127.0.0.1:19192"
    assert values["emit.checkpoints.interval.seconds"] == "1"


def test_unknown_topology_names_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="Use one of: active-passive, active-active"):
        mirror_config_path("ring")


def test_running_topology_read_from_properties(tmp_path: Path) -> None:
    mirror = LocalMirrorMaker(name="topology", clusters={}, topology="active-active", home=tmp_path)
    mirror.folder.mkdir(parents=True)
    mirror.properties_path.write_text(mirror.render_properties())

    assert mirror.running_topology() == "active-active"


def test_running_topology_without_file_is_none(tmp_path: Path) -> None:
    mirror = LocalMirrorMaker(name="topology", clusters={}, home=tmp_path)

    assert mirror.running_topology() is None
