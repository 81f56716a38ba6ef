"""Settings of the registry service, from arguments or KEYBUS_REGISTRY_* variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from keybus.errors import ConfigurationError
from keybus.registry.server.avro import COMPATIBILITY_LEVELS
from keybus.settings import DEFAULT_REGION, local_bootstrap_servers, region_settings
from keybus.textfiles import read_problem

__all__ = ["ROLES", "RegistrySettings", "User", "load_users"]

ROLES = ("read-only", "read-write")


class RegistrySettings(BaseSettings):
    """Settings of one registry instance: listener, Kafka topics, limits and users."""

    model_config = SettingsConfigDict(env_prefix="KEYBUS_REGISTRY_", extra="forbid")

    bootstrap_servers: str = Field(
        default_factory=local_bootstrap_servers,
        description="Kafka bootstrap servers. Default: the local east region's Kafka.",
    )
    host: str = "127.0.0.1"
    port: int = Field(
        default_factory=lambda: region_settings(DEFAULT_REGION).registry_port,
        ge=1,
        le=65535,
        description="TCP port. Default: the local east region's registry port.",
    )
    advertised_url: str | None = Field(
        default=None,
        description="URL other instances forward writes to. Default http://HOST:PORT.",
    )
    schemas_topic: str = "_schemas"
    coordination_topic: str | None = Field(
        default=None,
        description="Election and high-water-mark topic. Default <schemas_topic>_keybus.",
    )
    replication_factor: int | None = Field(
        default=None, ge=1, description="Replication of new topics. Default min(3, brokers)."
    )
    default_compatibility: str = "BACKWARD"
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    auth_file: Path | None = Field(
        default=None,
        description="File of `user:password:role` lines (role read-only or read-write). "
        "when set, every request but /health needs HTTP basic authentication.",
    )
    startup_timeout_s: float = Field(default=60.0, gt=0)
    forward_timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("default_compatibility")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in COMPATIBILITY_LEVELS:
            levels = sorted(COMPATIBILITY_LEVELS)
            raise ValueError(
                f"invalid compatibility level {level!r}. Use one of {', '.join(levels)}."
            )
        return level.upper()

    @property
    def url(self) -> str:
        """The URL announced to other instances."""
        return self.advertised_url or f"http://{self.host}:{self.port}"

    @property
    def coordination(self) -> str:
        """The coordination topic name."""
        return self.coordination_topic or f"{self.schemas_topic}_keybus"


class User:
    """A user of the registry with a password and a role."""

    __slots__ = ("name", "password", "role")

    def __init__(self, name: str, password: str, role: str) -> None:
        self.name = name
        self.password = password
        self.role = role


def load_users(path: Path) -> dict[str, User]:
    """Read `user:password:role` lines, skipping blank lines and `#` comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read the auth file {path}: {read_problem(exc)}. Give --auth-file (or "
            "KEYBUS_REGISTRY_AUTH_FILE) a readable file of `user:password:role` lines."
        ) from exc
    users: dict[str, User] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, _, rest = stripped.partition(":")
        password, _, role = rest.rpartition(":")
        if not name or not password or role not in ROLES:
            raise ConfigurationError(
                f"Line {number} of {path} is not `user:password:role` with role "
                f"{' or '.join(ROLES)}. Fix the line or remove it."
            )
        users[name] = User(name, password, role)
    return users
