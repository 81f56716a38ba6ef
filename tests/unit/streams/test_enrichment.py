"""The enricher's join decision for found, late and missing reference data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from keybus.streams.enrichment import (
    Emit,
    EnrichmentPolicy,
    MissingReference,
    Wait,
    decide,
)

EVENT: dict[str, Any] = {
    "event_id": "6f1c4a0e-1111-4a5e-9c1f-2d3b4c5d6e7f",
    "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
    "lock_id": "L1",
}
REFERENCE = {"site_id": "S1", "owner_id": "O1"}
RETRY = EnrichmentPolicy(missing=MissingReference.RETRY, wait_ms=1000, max_attempts=3)


def test_found_reference_emits_enriched_event() -> None:
    outcome = decide(EVENT, "DoorUnlocked", b"orig", REFERENCE, attempt=1, now_ms=0, policy=RETRY)

    assert isinstance(outcome, Emit)
    assert outcome.value["site_id"] == "S1"
    assert outcome.value["owner_id"] == "O1"
    assert outcome.value["reference"] == "FOUND"
    assert outcome.value["original"] == b"orig"
    assert outcome.value["attempts"] == 1


def test_missing_reference_waits_with_next_attempt() -> None:
    outcome = decide(EVENT, "DoorUnlocked", b"o", None, attempt=1, now_ms=5000, policy=RETRY)

    assert outcome == Wait(attempt=2, due_ms=6000)


def test_budget_spent_emits_with_marker() -> None:
    outcome = decide(EVENT, "DoorUnlocked", b"o", None, attempt=3, now_ms=0, policy=RETRY)

    assert isinstance(outcome, Emit)
    assert outcome.value["reference"] == "MISSING"
    assert outcome.value["site_id"] is None
    assert outcome.value["attempts"] == 3


def test_mark_policy_emits_at_once() -> None:
    policy = EnrichmentPolicy(missing=MissingReference.MARK)

    outcome = decide(EVENT, "DoorUnlocked", b"o", None, attempt=1, now_ms=0, policy=policy)

    assert isinstance(outcome, Emit)
    assert outcome.value["reference"] == "MISSING"
