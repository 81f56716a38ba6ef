"""Processor deployments: which topologies run, with how many workers and which settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from keybus.errors import ConfigurationError

__all__ = ["DeploymentFile", "ProcessorSpec", "load_deployments", "render_kubernetes"]

_NAME = r"^[a-z][a-z0-9-]{0,52}$"


class ProcessorSpec(BaseModel):
    """One deployed stream processor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=_NAME)]
    topology: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("env", mode="before")
    @classmethod
    def _env_as_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): str(item) for key, item in value.items()}
        return value


class KubernetesSettings(BaseModel):
    """What rendering for a Kubernetes cluster needs beyond the processors."""

    model_config = ConfigDict(extra="forbid")

    image: str = "keybus:latest"
    namespace: str = "keybus"
    cpu_request: str = "250m"
    memory_limit: str = "512Mi"


class DeploymentFile(BaseModel):
    """The whole deploy/processors.yaml document."""

    model_config = ConfigDict(extra="forbid")

    processors: list[ProcessorSpec]
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)

    @field_validator("processors")
    @classmethod
    def _unique(cls, processors: list[ProcessorSpec]) -> list[ProcessorSpec]:
        names = [processor.name for processor in processors]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"processor names must be unique; repeated: {', '.join(duplicates)}")
        return processors


def load_deployments(path: Path) -> DeploymentFile:
    """Load and validate a processors file, naming the file and the place of any error."""
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigurationError(f"Processors file {path} does not exist.") from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"Processors file {path} is not valid YAML: {exc}") from exc
    try:
        return DeploymentFile.model_validate(document)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"Processors file {path} is invalid:\n{problems}") from exc


def render_kubernetes(deployments: DeploymentFile) -> str:
    """Render one apps/v1 Deployment per processor as a multi-document YAML string."""
    documents = [
        _deployment(processor, deployments.kubernetes) for processor in deployments.processors
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def _deployment(processor: ProcessorSpec, kubernetes: KubernetesSettings) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": processor.name, "app.kubernetes.io/part-of": "keybus"}
    container = {
        "name": processor.name,
        "image": kubernetes.image,
        "command": ["faust", "-A", f"topologies.{processor.topology}", "worker", "--without-web"],
        "env": [{"name": key, "value": value} for key, value in sorted(processor.env.items())],
        "resources": {
            "requests": {"cpu": kubernetes.cpu_request},
            "limits": {"memory": kubernetes.memory_limit},
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": processor.name,
            "namespace": kubernetes.namespace,
            "labels": dict(labels),
        },
        "spec": {
            "replicas": processor.workers,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"terminationGracePeriodSeconds": 60, "containers": [container]},
            },
        },
    }
