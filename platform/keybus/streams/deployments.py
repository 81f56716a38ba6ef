"""Processor deployments: which topologies run, with how many workers and which settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from keybus.errors import ConfigurationError
from keybus.sourcing.settings import SourcingSettings
from keybus.streams.settings import EnricherSettings, StreamSettings
from keybus.textfiles import read_problem, yaml_problem

__all__ = [
    "TOPOLOGY_SETTINGS",
    "DeploymentFile",
    "ProcessorSpec",
    "check_settings",
    "load_deployments",
    "render_kubernetes",
]

TOPOLOGY_SETTINGS: Mapping[str, type[StreamSettings]] = {
    "router": StreamSettings,
    "enricher": EnricherSettings,
    "commands": SourcingSettings,
}
"""The settings model that each topology of topologies/ reads its KEYBUS_* variables into."""

_ENV_PREFIX = "KEYBUS_"

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
    bootstrap_servers: str | None = Field(
        default=None,
        description="Kafka as the pods reach it, rendered as KEYBUS_BOOTSTRAP_SERVERS.",
    )
    registry_url: str | None = Field(
        default=None, description="Schema registry as the pods reach it, as KEYBUS_REGISTRY_URL."
    )


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
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"Processors file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read the processors file {path}: {read_problem(exc)}."
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(
            f"Processors file {path} is not valid YAML at {yaml_problem(exc)}. Fix the file."
        ) from exc
    try:
        return DeploymentFile.model_validate(document)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"Processors file {path} is invalid:\n{problems}") from exc


def check_settings(deployments: DeploymentFile, path: Path) -> None:
    """Validate every processor's env against its topology's settings model.

    A topology missing from TOPOLOGY_SETTINGS is checked against StreamSettings, which
    covers the settings that every topology shares.

    Raises:
        ConfigurationError: a value is invalid; the message names the processor, the
            variable, the value and the rule.
    """
    problems = [
        problem for processor in deployments.processors for problem in _env_problems(processor)
    ]
    problems.extend(_shared_groups(deployments.processors))
    if problems:
        raise ConfigurationError(
            f"Processors file {path} sets invalid settings:\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )


def _env_problems(processor: ProcessorSpec) -> list[str]:
    model = TOPOLOGY_SETTINGS.get(processor.topology, StreamSettings)
    values = {}
    for name in model.model_fields:
        variable = f"{_ENV_PREFIX}{name.upper()}"
        if variable in processor.env:
            values[name] = processor.env[variable]
    try:
        _only_given(model).model_validate(values)
    except ValidationError as exc:
        return [_describe_error(processor.name, error) for error in exc.errors()]
    except ConfigurationError as exc:
        # Settings models report their validation errors by environment variable; the
        # processors file needs the processor's name beside each, so read the cause.
        if not isinstance(exc.__cause__, ValidationError):
            raise
        return [_describe_error(processor.name, error) for error in exc.__cause__.errors()]
    return []


def _shared_groups(processors: list[ProcessorSpec]) -> list[str]:
    """Return a message per set of processors that would join one consumer group.

    A topology's consumer group is KEYBUS_APP_ID, else a default fixed by the topology,
    so processors of one topology without distinct app ids would split its partitions.
    """
    groups: dict[tuple[str, str | None], list[str]] = {}
    for processor in processors:
        key = (processor.topology, processor.env.get(f"{_ENV_PREFIX}APP_ID"))
        groups.setdefault(key, []).append(processor.name)
    return [
        f"processors {', '.join(repr(name) for name in names)} run topology '{topology}' "
        f"in one consumer group ({_ENV_PREFIX}APP_ID={app_id or 'the default'}). Set a "
        f"distinct {_ENV_PREFIX}APP_ID in each one's env."
        for (topology, app_id), names in groups.items()
        if len(names) > 1
    ]


def _describe_error(processor: str, error: ErrorDetails) -> str:
    if not error["loc"]:
        return f"processor '{processor}': {error['msg']}"
    variable = f"{_ENV_PREFIX}{str(error['loc'][0]).upper()}"
    return f"processor '{processor}': {variable}={error['input']!r} is invalid: {error['msg']}"


def _only_given(model: type[StreamSettings]) -> type[StreamSettings]:
    """Return a subclass of `model` that reads no environment, only the values given."""

    class GivenOnly(model):  # type: ignore[valid-type,misc]
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings,)

    return GivenOnly


def render_kubernetes(
    deployments: DeploymentFile,
    *,
    bootstrap_servers: str | None = None,
    registry_url: str | None = None,
) -> str:
    """Render one apps/v1 Deployment per processor as a multi-document YAML string.

    Every container gets KEYBUS_BOOTSTRAP_SERVERS and KEYBUS_REGISTRY_URL: the
    processor's own env value, else the argument, else the `kubernetes:` section.

    Raises:
        ConfigurationError: a processor would get no Kafka or registry address, since
            the local default 127.0.0.1 is the pod itself inside Kubernetes.
    """
    addresses = {
        "KEYBUS_BOOTSTRAP_SERVERS": bootstrap_servers or deployments.kubernetes.bootstrap_servers,
        "KEYBUS_REGISTRY_URL": registry_url or deployments.kubernetes.registry_url,
    }
    _check_addresses(deployments.processors, addresses)
    given = {name: value for name, value in addresses.items() if value is not None}
    documents = [
        _deployment(processor, deployments.kubernetes, {**given, **processor.env})
        for processor in deployments.processors
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


_ADDRESS_SOURCES = {
    "KEYBUS_BOOTSTRAP_SERVERS": ("--bootstrap-servers", "kubernetes.bootstrap_servers"),
    "KEYBUS_REGISTRY_URL": ("--registry-url", "kubernetes.registry_url"),
}


def _check_addresses(processors: list[ProcessorSpec], addresses: dict[str, str | None]) -> None:
    for variable, value in addresses.items():
        missing = [
            processor.name
            for processor in processors
            if value is None and variable not in processor.env
        ]
        if not missing:
            continue
        option, key = _ADDRESS_SOURCES[variable]
        raise ConfigurationError(
            f"Processors {', '.join(missing)} have no {variable} for Kubernetes. Pass "
            f"{option}, set {key} in the processors file, or set {variable} in their env. "
            "The local default 127.0.0.1 would point each pod at itself."
        )


def _deployment(
    processor: ProcessorSpec, kubernetes: KubernetesSettings, environment: dict[str, str]
) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": processor.name, "app.kubernetes.io/part-of": "keybus"}
    container = {
        "name": processor.name,
        "image": kubernetes.image,
        "command": ["faust", "-A", f"topologies.{processor.topology}", "worker", "--without-web"],
        "env": [{"name": key, "value": value} for key, value in sorted(environment.items())],
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
