"""The record size limit of an import: which setting is smaller, and the reject reason.

Pure values; no Kafka.
"""

from __future__ import annotations

from keybus.importer.limits import RecordSizeLimit


def test_limit_is_smaller_setting() -> None:
    assert RecordSizeLimit(1_000_000, 500_000).max_bytes == 500_000
    assert RecordSizeLimit(1_000_000, 1_048_588).max_bytes == 1_000_000


def test_limit_without_topic_setting_is_producer_limit() -> None:
    assert RecordSizeLimit(2_000_000, None).max_bytes == 2_000_000


def test_reason_names_producer_setting() -> None:
    reason = RecordSizeLimit(1_000_000, 1_048_588).reject_reason(1_201_234, "orders")

    assert "record of about 1201234 bytes" in reason
    assert "the producer's message.max.bytes (1000000 bytes)" in reason
    assert "raise max.message.bytes of topic orders" in reason
    assert "--message-max-bytes" in reason


def test_reason_names_topic_setting() -> None:
    reason = RecordSizeLimit(2_000_000, 500_000).reject_reason(600_000, "orders")

    assert "over max.message.bytes of topic orders (500000 bytes)" in reason
