"""Retry policy defaults, delays, tiers and validation; pure logic, nothing faked."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from keybus.retry import InPlaceRetry, RetryPolicy


def test_defaults_are_stated() -> None:
    policy = RetryPolicy()

    assert policy.tiers_s == (5.0, 30.0, 300.0)
    assert policy.max_attempts == 185
    assert policy.max_event_age_s == 24 * 3600
    assert policy.in_place is None


def test_explicit_tiers_then_last_tier_repeats() -> None:
    policy = RetryPolicy(tiers_s=(5, 30, 300))

    assert [policy.base_delay_s(n) for n in range(1, 6)] == [5, 30, 300, 300, 300]


def test_exponential_backoff_lands_in_longest_fitting_tier() -> None:
    policy = RetryPolicy(tiers_s=(5, 30, 300), backoff_multiplier=2)

    delays = [policy.base_delay_s(n) for n in range(1, 9)]

    assert delays == [5, 10, 20, 40, 80, 160, 300, 300]
    assert [policy.tier_for(delay) for delay in delays] == [5, 5, 5, 30, 30, 30, 300, 300]


def test_jitter_only_lengthens_and_stays_within_ratio() -> None:
    policy = RetryPolicy(jitter_ratio=0.2)
    rng = random.Random(7)

    samples = [policy.jittered(10.0, rng) for _ in range(500)]

    assert min(samples) >= 10.0
    assert max(samples) <= 12.0
    assert max(samples) - min(samples) > 1.0


def test_yaml_spelling_with_units() -> None:
    policy = RetryPolicy.model_validate(
        {"tiers": ["500ms", "5s", "5m"], "max_event_age": "2h", "max_attempts": 10}
    )

    assert policy.tiers_s == (0.5, 5.0, 300.0)
    assert policy.max_event_age_s == 7200


@pytest.mark.parametrize(
    ("tiers", "message"),
    [([], "tiers_s is empty"), ([30, 5], "strictly increasing"), ([5, 5], "strictly increasing")],
)
def test_invalid_tiers_are_rejected(tiers: list[float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RetryPolicy(tiers_s=tuple(tiers))


def test_zero_attempts_is_rejected() -> None:
    with pytest.raises(ValidationError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_unknown_key_is_rejected() -> None:
    with pytest.raises(ValidationError, match="max_retries"):
        RetryPolicy.model_validate({"max_retries": 3})


def test_in_place_backoff_doubles_up_to_cap() -> None:
    budget = InPlaceRetry(backoff_s="1s", max_backoff_s="5s")

    assert [budget.backoff_for(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
