"""Settings of the command handler and the projections, from KEYBUS_* environment variables."""

from __future__ import annotations

from pydantic import Field

from keybus.streams.settings import StreamSettings

__all__ = ["SourcingSettings"]


class SourcingSettings(StreamSettings):
    """The aggregates the command handler serves, and the naming of their topics."""

    topic_prefix: str = Field(
        default="",
        description="Prefix of every stream topic, for example `test-` gives `test-deliveries`.",
    )
    aggregates: str = Field(
        default="",
        description="Comma-separated aggregate names to serve; empty serves all declared ones.",
    )
    auto_register: bool = Field(
        default=False, description="Register missing event schemas instead of failing at start."
    )
    snapshot_every: int | None = Field(
        default=None,
        ge=1,
        description="Write a snapshot every N versions; unset uses each aggregate's own value.",
    )
