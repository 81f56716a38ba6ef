"""Settings of the Faust stream processors, from KEYBUS_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from keybus.settings import EnvironmentSettings

__all__ = ["StreamSettings"]


class StreamSettings(EnvironmentSettings):
    """Connections, state folder and commit guarantee of a topology."""

    model_config = SettingsConfigDict(env_prefix="KEYBUS_", extra="ignore")

    app_id: str | None = Field(
        default=None,
        description="Faust app id, also the consumer group; default: the topology's own name.",
    )
    bootstrap_servers: str = "127.0.0.1:9092"
    registry_url: str = "http://127.0.0.1:8081"
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    rules_file: Path = Path("deploy/rules.yaml")
    catch_all_topic: str | None = Field(
        default=None, description="Topic for events that match no rule; unset to only count them."
    )
    batch_size: int = Field(default=500, ge=1, description="Records taken per batch.")
    batch_within_s: float = Field(
        default=0.005,
        gt=0,
        description=(
            "Maximum wait for a batch to fill, in seconds; each batch waits this long unless"
            " it reaches batch_size first, so it adds to latency."
        ),
    )
    transaction_interval_s: float = Field(
        default=0.1,
        gt=0,
        description=(
            "How long an exactly-once transaction stays open before it commits, in seconds;"
            " read_committed consumers see outputs after the commit."
        ),
    )
    data_dir: Path = Field(
        default=Path(".keybus/streams"), description="Folder for Faust's local state."
    )
    web_port: int | None = Field(
        default=None, description="Port of the worker's web server; unset disables it."
    )
    reload_interval_s: float = Field(
        default=5.0, gt=0, description="How often the rules file is checked for changes."
    )
