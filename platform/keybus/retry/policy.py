"""Retry policies: delay tiers, backoff with jitter, attempt and age limits, in-place budgets."""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from keybus.retry.naming import parse_delay

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_EVENT_AGE_S",
    "DEFAULT_TIERS_S",
    "DeadLetterReason",
    "InPlaceRetry",
    "RetryPolicy",
]

DEFAULT_TIERS_S = (5.0, 30.0, 300.0)
"""Default retry tier delays: 5 s, 30 s and 5 min."""

DEFAULT_MAX_ATTEMPTS = 185
"""Default limit on deliveries of one event, the first one included.

EventBridge's RetryPolicy allows at most 185 retry attempts after the first delivery
(Amazon EventBridge API Reference, RetryPolicy). keybus counts the first delivery among
its attempts, so this default makes at most 184 retries.
"""

DEFAULT_MAX_EVENT_AGE_S = 24 * 3600.0
"""Default age after which an event is no longer retried: EventBridge's maximum of 86,400 s."""


class DeadLetterReason(StrEnum):
    """The reason a record was parked in the dead-letter topic."""

    NOT_RETRYABLE = "not-retryable"
    MAX_ATTEMPTS = "max-attempts"
    MAX_EVENT_AGE = "max-event-age"
    IN_PLACE_BUDGET = "in-place-budget"


def _seconds(value: Any) -> Any:
    """Accept `5`, `5.0` or `"5s"` / `"5m"` / `"500ms"` for a duration in seconds."""
    return parse_delay(value) if isinstance(value, str) else value


class InPlaceRetry(BaseModel):
    """Retry in place with a bounded budget, for consumers that need strict per-key order.

    The failing record's partition is paused and the record delivered again after the
    backoff, so nothing behind it on the partition overtakes it. The other partitions
    keep flowing and the consumer keeps polling, so it stays in its group. Once
    `max_attempts` deliveries or `budget_s` seconds are used up, the record goes to the
    dead letters, or the consumer stops when `on_exhausted` is `stop`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: Annotated[int, Field(ge=1)] = 5
    backoff_s: Annotated[float, Field(gt=0)] = 1.0
    backoff_multiplier: Annotated[float, Field(ge=1)] = 2.0
    max_backoff_s: Annotated[float, Field(gt=0)] = 30.0
    budget_s: Annotated[float, Field(gt=0)] = 120.0
    on_exhausted: Literal["dead_letter", "stop"] = "dead_letter"

    @field_validator("backoff_s", "max_backoff_s", "budget_s", mode="before")
    @classmethod
    def _parse_durations(cls, value: Any) -> Any:
        return _seconds(value)

    def backoff_for(self, failed_attempts: int) -> float:
        """Return the pause in seconds after the `failed_attempts`-th failed delivery."""
        delay = self.backoff_s * self.backoff_multiplier ** (failed_attempts - 1)
        return min(delay, self.max_backoff_s)


class RetryPolicy(BaseModel):
    """The rules by which a consumer group retries failed events before parking them.

    In YAML, `tiers` and `max_event_age` are accepted for `tiers_s` and
    `max_event_age_s`, and durations may be written as `500ms`, `5s`, `5m` or `24h`.

    Attributes:
        tiers_s: delays of the retry tiers in seconds, increasing; one retry topic each.
        max_attempts: deliveries of one event, the first one included, before it is
            parked; counted per replay, so a replayed event gets the full budget again.
        max_event_age_s: an event whose next attempt would come later than this after
            its record timestamp (or its latest replay) is parked instead.
        backoff_multiplier: when set, retry n waits `tiers_s[0] * multiplier**(n-1)`
            seconds, capped at the last tier, in the longest tier not longer than that
            wait. When unset, retry n uses tier n and then stays on the last tier.
        jitter_ratio: each wait is lengthened by a random fraction up to this ratio, so
            records that failed together do not come back together.
        in_place: when set, failures are retried in place on the paused partition and
            the retry tiers are not used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # NOTE: with `backoff_multiplier`, waits of different lengths share a tier, and a
    # paused tier resumes only when its head record is due. A record behind a longer
    # wait can come back late by up to the difference (at most the next tier's delay).
    # One tier per distinct wait would remove that, at the cost of more topics.

    tiers_s: tuple[float, ...] = Field(
        default=DEFAULT_TIERS_S, validation_alias=AliasChoices("tiers_s", "tiers")
    )
    max_attempts: Annotated[int, Field(ge=1)] = DEFAULT_MAX_ATTEMPTS
    max_event_age_s: Annotated[float, Field(gt=0)] = Field(
        default=DEFAULT_MAX_EVENT_AGE_S,
        validation_alias=AliasChoices("max_event_age_s", "max_event_age"),
    )
    backoff_multiplier: Annotated[float, Field(gt=1)] | None = None
    jitter_ratio: Annotated[float, Field(ge=0, le=1)] = 0.1
    in_place: InPlaceRetry | None = None

    @field_validator("tiers_s", mode="before")
    @classmethod
    def _parse_tiers(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(_seconds(item) for item in value)
        return value

    @field_validator("max_event_age_s", mode="before")
    @classmethod
    def _parse_age(cls, value: Any) -> Any:
        return _seconds(value)

    @model_validator(mode="after")
    def _check_tiers(self) -> RetryPolicy:
        if not self.tiers_s:
            raise ValueError("tiers_s is empty; give at least one retry tier delay, e.g. [5s]")
        if any(delay < 0.001 for delay in self.tiers_s):
            raise ValueError(f"tiers_s {list(self.tiers_s)} has a delay below 1 ms")
        if list(self.tiers_s) != sorted(set(self.tiers_s)):
            raise ValueError(
                f"tiers_s {list(self.tiers_s)} must be strictly increasing, e.g. [5s, 30s, 5m]"
            )
        return self

    def base_delay_s(self, retry_number: int) -> float:
        """Return the wait before retry `retry_number` (1-based), without jitter."""
        if self.backoff_multiplier is None:
            return self.tiers_s[min(retry_number, len(self.tiers_s)) - 1]
        delay = self.tiers_s[0] * self.backoff_multiplier ** (retry_number - 1)
        return min(delay, self.tiers_s[-1])

    def tier_for(self, delay_s: float) -> float:
        """Return the longest tier delay that is not longer than `delay_s`."""
        fitting = [tier for tier in self.tiers_s if tier <= delay_s + 1e-9]
        return fitting[-1] if fitting else self.tiers_s[0]

    def jittered(self, delay_s: float, rng: random.Random | None = None) -> float:
        """Return `delay_s` lengthened by a random fraction up to `jitter_ratio`."""
        draw = (rng or random).random()
        return delay_s * (1 + self.jitter_ratio * draw)
