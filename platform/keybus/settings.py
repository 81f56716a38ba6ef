"""Settings read from KEYBUS_* environment variables, with defaults for local work."""

from __future__ import annotations

from pydantic import Field, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from keybus.errors import ConfigurationError

__all__ = ["DEFAULT_REGION_PORTS", "DevSettings", "RegionSettings", "region_settings"]

DEFAULT_REGION_PORTS: dict[str, tuple[int, int, int]] = {
    "east": (9092, 9093, 8081),
    "west": (9192, 9193, 8181),
}
"""Default (kafka, controller, registry) loopback ports of each known region."""


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
