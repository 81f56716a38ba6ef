"""Start positions after a region switch: translated, committed, then the policy; pure logic."""

from __future__ import annotations

import pytest
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, TopicPartition

from keybus.failover import FailoverError, StartPolicy, resolve_start_positions

ORDERS_0 = TopicPartition("orders", 0)
ORDERS_1 = TopicPartition("orders", 1)


def test_translated_offset_zero_is_used() -> None:
    positions = resolve_start_positions([ORDERS_0], {ORDERS_0: 0}, {}, StartPolicy.LATEST)

    assert positions[ORDERS_0].offset == 0
    assert positions[ORDERS_0].source == "translated"


def test_translated_offset_wins_over_committed() -> None:
    positions = resolve_start_positions([ORDERS_0], {ORDERS_0: 40}, {ORDERS_0: 12})

    assert positions[ORDERS_0].offset == 40


def test_committed_offset_used_without_translation() -> None:
    positions = resolve_start_positions([ORDERS_0], {}, {ORDERS_0: 12})

    assert positions[ORDERS_0].offset == 12
    assert positions[ORDERS_0].source == "committed"


def test_missing_offsets_default_to_earliest() -> None:
    positions = resolve_start_positions([ORDERS_0, ORDERS_1], {ORDERS_0: 5}, {ORDERS_1: -1001})

    assert positions[ORDERS_1].offset == OFFSET_BEGINNING
    assert positions[ORDERS_1].source == "earliest"


def test_latest_policy_only_when_chosen() -> None:
    positions = resolve_start_positions([ORDERS_1], {}, {}, StartPolicy.LATEST)

    assert positions[ORDERS_1].offset == OFFSET_END


def test_fail_policy_names_the_partition() -> None:
    with pytest.raises(FailoverError, match="No translated or committed offset for orders-1"):
        resolve_start_positions([ORDERS_1], {}, {}, StartPolicy.FAIL)
