"""Settings read from KEYBUS_* environment variables, with defaults for local work."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from keybus.errors import ConfigurationError

__all__ = [
    "DEFAULT_REGION",
    "DEFAULT_REGION_PORTS",
    "ConnectionSettings",
    "DevSettings",
    "EnvironmentSettings",
    "RegionSettings",
    "local_bootstrap_servers",
    "local_registry_url",
    "region_settings",
    "settings_error",
]

DEFAULT_REGION_PORTS: dict[str, tuple[int, int, int]] = {
    "east": (9092, 9093, 8081),
    "west": (9192, 9193, 8181),
}
"""Default (kafka, controller, registry) loopback ports of each known region."""

DEFAULT_REGION = "east"
"""The local region that commands and processors connect to unless a setting names another."""


def settings_error(exc: ValidationError, env_prefix: str) -> ConfigurationError:
    """Translate a settings ValidationError into one naming the environment variables."""
    problems = []
    for problem in exc.errors():
        location = problem.get("loc") or ("(settings)",)
        variable = f"{env_prefix}{location[0]}".upper()
        input_value = problem.get("input")
        shown = input_value is not None and not isinstance(input_value, dict)
        value = f"={str(input_value)!r}" if shown else ""
        problems.append(f"{variable}{value}: {problem.get('msg', 'invalid')}")
    return ConfigurationError(
        f"Invalid {exc.title} from the environment: {'; '.join(problems)}. "
        "Set each variable to an accepted value or unset it to use the default."
    )


class EnvironmentSettings(BaseSettings):
    """Settings whose invalid values raise ConfigurationError naming their variables."""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            prefix = str(values.get("_env_prefix") or self.model_config.get("env_prefix", ""))
            raise settings_error(exc, prefix) from exc


class RegionSettings(BaseSettings):
    """Loopback ports of one local region, overridable per region.

    Read from KEYBUS_<REGION>_KAFKA_PORT, KEYBUS_<REGION>_CONTROLLER_PORT and
    KEYBUS_<REGION>_REGISTRY_PORT, for example KEYBUS_EAST_KAFKA_PORT=19092.
    """

    model_config = SettingsConfigDict(extra="ignore")

    kafka_port: int = Field(ge=1, le=65535)
    controller_port: int = Field(ge=1, le=65535)
    registry_port: int = Field(ge=1, le=65535)


class DevSettings(BaseSettings):
    """Settings of `keybus dev` and the demo, from KEYBUS_* variables."""

    model_config = SettingsConfigDict(env_prefix="KEYBUS_", extra="ignore")

    regions: str = Field(
        default="east",
        description="Comma-separated regions that `keybus dev up` starts by default.",
    )


def region_settings(region: str) -> RegionSettings:
    """Return the ports of a known region, defaults overridden by KEYBUS_<REGION>_* variables."""
    defaults = DEFAULT_REGION_PORTS.get(region)
    if defaults is None:
        known = ", ".join(sorted(DEFAULT_REGION_PORTS))
        raise ConfigurationError(f"Unknown region '{region}'. Known regions: {known}.")
    kafka, controller, registry = defaults
    model = create_model(
        f"{region.capitalize()}RegionSettings",
        __base__=RegionSettings,
        kafka_port=(int, Field(default=kafka, ge=1, le=65535)),
        controller_port=(int, Field(default=controller, ge=1, le=65535)),
        registry_port=(int, Field(default=registry, ge=1, le=65535)),
    )
    settings: RegionSettings = model(_env_prefix=f"KEYBUS_{region.upper()}_")  # type: ignore[call-arg]
    return settings


def local_bootstrap_servers() -> str:
    """Return the bootstrap servers of the default local region, on its configured port."""
    return f"127.0.0.1:{region_settings(DEFAULT_REGION).kafka_port}"


def local_registry_url() -> str:
    """Return the registry URL of the default local region, on its configured port."""
    return f"http://127.0.0.1:{region_settings(DEFAULT_REGION).registry_port}"


class ConnectionSettings(EnvironmentSettings):
    """Addresses of Kafka and the schema registry, shared by every command and processor.

    KEYBUS_BOOTSTRAP_SERVERS and KEYBUS_REGISTRY_URL win. Without them, both point at
    the local east region on the ports that KEYBUS_EAST_KAFKA_PORT and
    KEYBUS_EAST_REGISTRY_PORT set (9092 and 8081 by default), where `keybus dev up`
    starts it.
    """

    model_config = SettingsConfigDict(env_prefix="KEYBUS_", extra="ignore")

    bootstrap_servers: str = Field(default_factory=local_bootstrap_servers)
    registry_url: str = Field(default_factory=local_registry_url)
    connect_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Maximum wait of a command for a TCP connection to Kafka before it "
        "fails, in seconds.",
    )
