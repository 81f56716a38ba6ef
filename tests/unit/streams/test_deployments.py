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

    documents = list(
        yaml.safe_load_all(
            render_kubernetes(
                deployments,
                bootstrap_servers="kafka.keybus.svc:9092",
                registry_url="http://registry.keybus.svc:8081",
            )
        )
    )

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


def _container_env(rendered: str) -> list[dict[str, str]]:
    documents = list(yaml.safe_load_all(rendered))
    return [
        {
            item["name"]: item["value"]
            for item in doc["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        for doc in documents
    ]


def test_render_without_addresses_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text("processors:\n  - {name: r, topology: router}\n")

    with pytest.raises(ConfigurationError) as excinfo:
        render_kubernetes(load_deployments(path))

    message = str(excinfo.value)
    assert "Processors r have no KEYBUS_BOOTSTRAP_SERVERS for Kubernetes" in message
    assert "--bootstrap-servers" in message
    assert "kubernetes.bootstrap_servers" in message


def test_render_puts_addresses_in_every_container(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - {name: r, topology: router}\n  - {name: e, topology: enricher}\n"
    )

    rendered = render_kubernetes(
        load_deployments(path), bootstrap_servers="kafka:9092", registry_url="http://registry:8081"
    )

    for env in _container_env(rendered):
        assert env["KEYBUS_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["KEYBUS_REGISTRY_URL"] == "http://registry:8081"


def test_render_reads_kubernetes_section(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - {name: r, topology: router}\n"
        "  - {name: e, topology: enricher, env: {KEYBUS_BOOTSTRAP_SERVERS: other:9092}}\n"
        "kubernetes:\n  bootstrap_servers: kafka:9092\n  registry_url: http://registry:8081\n"
    )

    router, enricher = _container_env(render_kubernetes(load_deployments(path)))

    assert router["KEYBUS_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert router["KEYBUS_REGISTRY_URL"] == "http://registry:8081"
    assert enricher["KEYBUS_BOOTSTRAP_SERVERS"] == "other:9092"


def test_render_option_wins_over_section(tmp_path: Path) -> None:
    path = tmp_path / "processors.yaml"
    path.write_text(
        "processors:\n  - {name: r, topology: router}\n"
        "kubernetes:\n  bootstrap_servers: kafka:9092\n  registry_url: http://registry:8081\n"
    )

    [env] = _container_env(render_kubernetes(load_deployments(path), bootstrap_servers="b:9092"))

    assert env["KEYBUS_BOOTSTRAP_SERVERS"] == "b:9092"
    assert env["KEYBUS_REGISTRY_URL"] == "http://registry:8081"
