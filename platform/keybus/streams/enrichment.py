"""Join lock events with lock reference data, and what to do when the reference is late.

This is the pure core of the enricher topology. For one event and the reference entry
found for its lock (or none), it decides whether to emit an enriched event now or to let
the event wait and look again later. No event is dropped: when the wait budget runs
out, the event is emitted with `reference = MISSING`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "ATTEMPT_HEADER",
    "DUE_HEADER",
    "Emit",
    "EnrichmentPolicy",
    "MissingReference",
    "Wait",
    "decide",
]

ATTEMPT_HEADER = "keybus_enrich_attempt"
"""Header of a waiting event: how many lookups were made, from 1."""

DUE_HEADER = "keybus_enrich_due_ms"
"""Header of a waiting event: when to look again, in UTC milliseconds since the epoch."""


class MissingReference(StrEnum):
    """The enricher's policy for an event whose lock has no directory entry yet."""

    RETRY = "retry"
    """Let the event wait and look again, up to the attempt budget, then mark it."""

    MARK = "mark"
    """Emit the event at once with `reference = MISSING`."""


@dataclass(frozen=True)
class EnrichmentPolicy:
    """The stated policy for late reference data.

    Attributes:
        missing: retry later, or emit with a marker at once.
        wait_ms: delay between two lookups of a waiting event, in milliseconds.
        max_attempts: lookups before an event is emitted with `reference = MISSING`.
    """

    missing: MissingReference = MissingReference.RETRY
    wait_ms: int = 5_000
    max_attempts: int = 12


@dataclass(frozen=True)
class Emit:
    """Emit this enriched event (an `EnrichedLockEvent` value)."""

    value: dict[str, Any]


@dataclass(frozen=True)
class Wait:
    """Send the event to the wait topic, to be looked up again at `due_ms`."""

    attempt: int
    due_ms: int


def decide(
    event: dict[str, Any],
    event_type: str,
    original: bytes,
    reference: dict[str, Any] | None,
    *,
    attempt: int,
    now_ms: int,
    policy: EnrichmentPolicy,
) -> Emit | Wait:
    """Return what to do with one event after lookup number `attempt` (from 1)."""
    retry = reference is None and policy.missing is MissingReference.RETRY
    if retry and attempt < policy.max_attempts:
        return Wait(attempt=attempt + 1, due_ms=now_ms + policy.wait_ms)
    found = reference is not None
    return Emit(
        {
            "event_id": str(event["event_id"]),
            "occurred_at": event["occurred_at"],
            "lock_id": event["lock_id"],
            "event_type": event_type,
            "site_id": reference["site_id"] if reference else None,
            "owner_id": reference["owner_id"] if reference else None,
            "reference": "FOUND" if found else "MISSING",
            "attempts": attempt,
            "original": original,
        }
    )
