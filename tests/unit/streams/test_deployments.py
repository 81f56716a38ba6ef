"""Processor deployment files: validation messages and Kubernetes rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from keybus.errors import ConfigurationError
from keybus.streams.deployments import check_settings, load_deployments, render_kubernetes

REPO = Path(__file__).resolve().parents[3]


def test_repository_processors_file_renders_a_deployment_each() -> None:
    deployments = load_deployments(REPO / "deploy" / "processors.yaml")

    documents = list(yaml.safe_load_all(render_kubernetes(deployments)))

    assert [doc["metadata"]["name"] for doc in documents] == [
        p.name for p in deployments.processors
    ]
    router = documents[0]
    assert router["kind"] == "Deployment"
    assert router["spec"]["replicas"] == deployments.processors[0].workers
    container = router["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:3] == ["faust", "-A", "topologies.router"]


def test_zero_workers_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text("processors:\n  - name: router\n    topology: router\n    workers: 0\n")

    with pytest.raises(ConfigurationError) as excinfo:
        load_deployments(path)

    assert "processors.0.workers" in str(excinfo.value)
    assert "greater than or equal to 1" in str(excinfo.value)


def test_duplicate_processor_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - {name: r, topology: router}\n  - {name: r, topology: router}\n"
    )

    with pytest.raises(ConfigurationError) as excinfo:
        load_deployments(path)

    assert "repeated: r" in str(excinfo.value)


def test_invalid_guarantee_names_processor_and_values(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - name: r\n    topology: router\n"
        "    env: {KEYBUS_PROCESSING_GUARANTEE: maybe}\n"
    )

    with pytest.raises(ConfigurationError) as excinfo:
        check_settings(load_deployments(path), path)

    message = str(excinfo.value)
    assert str(path) in message
    assert "processor 'r': KEYBUS_PROCESSING_GUARANTEE='maybe' is invalid" in message
    assert "'at_least_once' or 'exactly_once'" in message


def test_topology_own_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - name: e\n    topology: enricher\n"
        "    env: {KEYBUS_ENRICH_MISSING: drop, KEYBUS_ENRICH_WAIT_MS: 0}\n"
    )

    with pytest.raises(ConfigurationError) as excinfo:
        check_settings(load_deployments(path), path)

    message = str(excinfo.value)
    assert "processor 'e': KEYBUS_ENRICH_MISSING='drop' is invalid" in message
    assert "'retry' or 'mark'" in message
    assert "processor 'e': KEYBUS_ENRICH_WAIT_MS='0' is invalid" in message


def test_settings_ignore_this_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_PROCESSING_GUARANTEE", "maybe")
    path = tmp_path / "processors.yaml"
    path.write_text("processors:\n  - {name: r, topology: router}\n")

    check_settings(load_deployments(path), path)


def test_repository_processors_settings_are_valid() -> None:
    path = REPO / "deploy" / "processors.yaml"

    check_settings(load_deployments(path), path)


def test_shared_consumer_group_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - {name: r, topology: router}\n  - {name: router, topology: router}\n"
        "  - {name: r2, topology: router, env: {KEYBUS_APP_ID: second-router}}\n"
    )

    with pytest.raises(ConfigurationError) as excinfo:
        check_settings(load_deployments(path), path)

    message = str(excinfo.value)
    assert "processors 'r', 'router' run topology 'router' in one consumer group" in message
    assert "'r2'" not in message
