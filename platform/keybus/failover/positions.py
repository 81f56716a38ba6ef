"""Where a failed-over consumer starts each partition: translated, committed, or by policy."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, TopicPartition

from keybus.failover.errors import FailoverError

__all__ = ["StartPolicy", "StartPosition", "resolve_start_positions"]

logger = logging.getLogger(__name__)


class StartPolicy(enum.Enum):
    """What a consumer does with a partition that has neither a translated nor a committed offset.

    EARLIEST reads the partition from its beginning (duplicates, nothing lost) and is
    the default. LATEST skips what is there (loses every event written before the
    switch) and exists only for consumers that accept that. FAIL raises instead.
    """

    EARLIEST = "earliest"
    LATEST = "latest"
    FAIL = "fail"


@dataclass(frozen=True)
class StartPosition:
    """The offset a partition starts from and which source gave it."""

    offset: int
    source: str


def resolve_start_positions(
    partitions: Iterable[TopicPartition],
    translated: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int],
    policy: StartPolicy = StartPolicy.EARLIEST,
) -> dict[TopicPartition, StartPosition]:
    """Choose the start of each partition in the region a consumer switched to.

    The translated offset from MirrorMaker's checkpoints comes first, offset 0
    included. A group offset committed in the target region comes next (MirrorMaker
    writes those with `sync.group.offsets.enabled`). A partition with neither follows
    `policy`.
    """
    translated_by_key = {(tp.topic, tp.partition): offset for tp, offset in translated.items()}
    committed_by_key = {(tp.topic, tp.partition): offset for tp, offset in committed.items()}
    positions: dict[TopicPartition, StartPosition] = {}
    for tp in partitions:
        key = (tp.topic, tp.partition)
        if translated_by_key.get(key, -1) >= 0:
            positions[tp] = StartPosition(translated_by_key[key], "translated")
        elif committed_by_key.get(key, -1) >= 0:
            positions[tp] = StartPosition(committed_by_key[key], "committed")
        else:
            positions[tp] = _by_policy(tp, policy)
    return positions


def _by_policy(tp: TopicPartition, policy: StartPolicy) -> StartPosition:
    if policy is StartPolicy.FAIL:
        raise FailoverError(
            f"No translated or committed offset for {tp.topic}-{tp.partition} after the "
            "region switch, and the start policy is 'fail'. Check that MirrorMaker emits "
            "checkpoints for this group (emit.checkpoints.enabled, groups), or choose "
            "StartPolicy.EARLIEST."
        )
    logger.warning(
        "no translated offset topic=%s partition=%s start_policy=%s",
        tp.topic,
        tp.partition,
        policy.value,
    )
    offset = OFFSET_BEGINNING if policy is StartPolicy.EARLIEST else OFFSET_END
    return StartPosition(offset, policy.value)
