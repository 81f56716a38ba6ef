"""Processor deployment files: validation messages and Kubernetes rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from keybus.errors import ConfigurationError
from keybus.streams.deployments import load_deployments, render_kubernetes

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
