"""Names of retry tiers, dead-letter topics and replay ledgers; pure functions, nothing faked."""

from __future__ import annotations

import pytest

from keybus.retry import RetryConfigError
from keybus.retry.naming import (
    dead_letter_topic_name,
    format_delay,
    parse_delay,
    replay_ledger_topic_name,
    retry_topic_name,
    split_retry_topic,
)


@pytest.mark.parametrize(
    ("delay_s", "text"),
    [
        (5, "5s"),
        (30, "30s"),
        (300, "5m"),
        (7200, "2h"),
        (0.5, "500ms"),
        (90, "90s"),
        (1.5, "1500ms"),
    ],
)
def test_format_delay_round_trips(delay_s: float, text: str) -> None:
    assert format_delay(delay_s) == text
    assert parse_delay(text) == delay_s


def test_format_delay_rejects_zero() -> None:
    with pytest.raises(RetryConfigError, match="is not positive"):
        format_delay(0)


def test_parse_delay_names_the_expected_form() -> None:
    with pytest.raises(RetryConfigError, match=r"'5 minutes' is invalid.*ms, s, m or h"):
        parse_delay("5 minutes")


def test_topic_names_follow_the_convention() -> None:
    assert retry_topic_name("orders", "billing", 5) == "orders.billing.retry.5s"
    assert retry_topic_name("orders", "billing", 300) == "orders.billing.retry.5m"
    assert dead_letter_topic_name("orders", "billing") == "orders.billing.dlq"
    assert replay_ledger_topic_name("orders.billing.dlq") == "orders.billing.dlq.replayed"


def test_group_with_illegal_characters_is_rejected() -> None:
    with pytest.raises(RetryConfigError, match=r"group 'billing:v2'.*only letters, digits"):
        dead_letter_topic_name("orders", "billing:v2")


def test_overlong_name_is_rejected() -> None:
    with pytest.raises(RetryConfigError, match="Kafka allows at most 249"):
        retry_topic_name("o" * 200, "g" * 60, 5)


def test_split_retry_topic() -> None:
    assert split_retry_topic("orders.billing.retry.30s", "orders", "billing") == 30
    assert split_retry_topic("orders.billing.dlq", "orders", "billing") is None
    assert split_retry_topic("orders.other.retry.30s", "orders", "billing") is None
    assert split_retry_topic("orders.billing.retry.soon", "orders", "billing") is None
