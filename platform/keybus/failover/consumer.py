"""A consumer that follows its group to the next region and resumes from translated offsets."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from keybus.batches import poll_batch
from keybus.failover.checkpoints import (
    read_offset_syncs,
    reverse_translate,
    translate_offsets,
)
from keybus.failover.errors import OffsetTranslationError
from keybus.failover.positions import StartPolicy, StartPosition, resolve_start_positions
from keybus.failover.regions import RegionEndpoint, RegionSelector
from keybus.kafka import Consumer

__all__ = ["FailoverConsumer"]

logger = logging.getLogger(__name__)

_POLICY_RESET = {
    StartPolicy.EARLIEST: "earliest",
    StartPolicy.LATEST: "latest",
    StartPolicy.FAIL: "error",
}


class FailoverConsumer:
    """A confluent-kafka consumer bound to the active region of a `RegionSelector`.

    Every `health_interval_s` a poll probes the active region. When the selector
    switches, the consumer closes, reopens in the new region and starts each partition
    from the group's offset translated by MirrorMaker's checkpoints, else from the
    group's committed offset there, else by `start_policy` (EARLIEST unless set).
    Commits are explicit (`commit()`), after the events are handled.
    """

    def __init__(
        self,
        selector: RegionSelector,
        group_id: str,
        topics: Sequence[str],
        *,
        config: Mapping[str, Any] | None = None,
        start_policy: StartPolicy = StartPolicy.EARLIEST,
        health_interval_s: float = 1.0,
        translation_timeout_s: float = 10.0,
        close_timeout_s: float = 1.0,
        on_switch: Callable[[RegionEndpoint, RegionEndpoint], None] | None = None,
    ) -> None:
        self.selector = selector
        self.group_id = group_id
        self.topics = list(topics)
        self.start_policy = start_policy
        self.health_interval_s = health_interval_s
        self.translation_timeout_s = translation_timeout_s
        self._config = dict(config or {})
        self._on_switch = on_switch
        # Translated offsets for the next assignment after a switch; None before any.
        self._pending_start: dict[TopicPartition, int] | None = None
        self._commit_failures = 0
        self.last_start_positions: dict[TopicPartition, StartPosition] = {}
        self._abandoned: list[Consumer] = []
        self.close_timeout_s = close_timeout_s
        self._last_check = time.monotonic()
        self._bound_region = selector.active
        self._consumer = self._open(selector.active)

    # last_start_positions: where each partition started after the latest region
    # switch, and which source (translated, committed, or the policy) chose it.

    @property
    def region(self) -> RegionEndpoint:
        """The region this consumer reads from now."""
        return self.selector.active

    def poll(self, timeout_s: float = 1.0) -> Message | None:
        """Return the next record, or None; probe the region and switch when it is due."""
        self._check_health()
        record = self._consumer.poll(timeout_s)
        if record is not None and record.error() is not None:
            logger.debug("consumer error region=%s error=%s", self.region.name, record.error())
            return None
        return record

    def consume(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Message]:
        """Return up to `max_records` records; probe the region and switch when it is due."""
        self._check_health()
        records = poll_batch(self._consumer, max_records, timeout_s)
        return [record for record in records if record.error() is None]

    def commit(self, *, asynchronous: bool = True) -> bool:
        """Commit the offsets of the records returned so far.

        Asynchronous by default, because a synchronous commit to a region that just
        died blocks until librdkafka gives up on the coordinator. A failed asynchronous
        commit counts as one failure of the region. Returns False when a synchronous
        commit failed.
        """
        try:
            if asynchronous:
                self._consumer.commit(asynchronous=True)
            else:
                self._consumer.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args and exc.args[0].code() == KafkaError._NO_OFFSET:
                return True
            logger.warning("commit failed region=%s error=%s", self.region.name, exc)
            self._switch_if(self.selector.record_failure())
            return False
        return True

    def failback(self) -> RegionEndpoint:
        """Return to the primary region explicitly and resume where this consumer is now.

        Commits in the current region first. In the primary, each partition starts from
        MirrorMaker's checkpoints of the reverse flow when one runs (active-active),
        else from the current positions mapped back through the forward flow's offset
        syncs, else from the group's committed offset there, else by `start_policy`.
        Raises FailbackError while the primary fails its probe.
        """
        current = self.region
        self.commit(asynchronous=False)
        positions = self._positions()
        primary = self.selector.failback()
        if primary == current:
            return primary
        self._pending_start = self._failback_offsets(current, primary, positions)
        self._reopen(current, primary)
        return primary

    def close(self) -> None:
        """Commit what was handled and leave the group."""
        self.commit(asynchronous=False)
        self._close_bounded(self._consumer, self.region)

    def _check_health(self) -> None:
        while self._commit_failures:
            self._commit_failures -= 1
            if self.selector.record_failure() is not None:
                self._commit_failures = 0
                self._switch_if(self.selector.active)
                return
        now = time.monotonic()
        if now - self._last_check < self.health_interval_s:
            return
        self._last_check = now
        self._switch_if(self.selector.check())

    def _switch_if(self, new_region: RegionEndpoint | None) -> None:
        if new_region is None:
            return
        failed = self._bound_region
        try:
            self._pending_start = translate_offsets(
                self.group_id, failed.name, new_region.bootstrap_servers, self.translation_timeout_s
            )
        except OffsetTranslationError as exc:
            logger.warning("offset translation failed group=%s error=%s", self.group_id, exc)
            self._pending_start = {}
        self._reopen(failed, new_region)

    def _reopen(self, old: RegionEndpoint, new: RegionEndpoint) -> None:
        self._close_bounded(self._consumer, old)
        self._consumer = self._open(new)
        self._commit_failures = 0
        if self._on_switch is not None:
            self._on_switch(old, new)

    def _close_bounded(self, consumer: Consumer, region: RegionEndpoint) -> None:
        # librdkafka's close() waits for the group coordinator without a deadline, so on
        # a dead region it never returns, so it runs in a daemon thread for at most
        # close_timeout_s. A consumer still closing after that stays referenced, because
        # its destructor would block the same way. It finishes if the region returns.
        closer = threading.Thread(target=_close, args=(consumer, region), daemon=True)
        closer.start()
        closer.join(self.close_timeout_s)
        if closer.is_alive():
            logger.warning(
                "consumer close still waiting region=%s timeout_s=%s",
                region.name,
                self.close_timeout_s,
            )
            self._abandoned.append(consumer)

    def _open(self, region: RegionEndpoint) -> Consumer:
        config: dict[str, Any] = {
            "auto.offset.reset": _POLICY_RESET[self.start_policy],
            **self._config,
            "bootstrap.servers": region.bootstrap_servers,
            "group.id": self.group_id,
            "enable.auto.commit": False,
            "on_commit": self._commit_callback(region),
        }
        consumer = Consumer(config)
        consumer.subscribe(self.topics, on_assign=self._on_assign)
        self._bound_region = region
        logger.info("consumer opened region=%s group=%s", region.name, self.group_id)
        return consumer

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._pending_start is None:
            return
        committed = {
            TopicPartition(tp.topic, tp.partition): tp.offset
            for tp in consumer.committed(partitions, timeout=self.translation_timeout_s)
        }
        starts = resolve_start_positions(
            partitions, self._pending_start, committed, self.start_policy
        )
        self.last_start_positions.update(starts)
        for tp in partitions:
            tp.offset = starts[tp].offset
            logger.info(
                "start position topic=%s partition=%s offset=%s source=%s",
                tp.topic,
                tp.partition,
                starts[tp].offset,
                starts[tp].source,
            )
        consumer.assign(partitions)

    def _commit_callback(
        self, region: RegionEndpoint
    ) -> Callable[[KafkaError | None, list[TopicPartition]], None]:
        def on_commit(error: KafkaError | None, _partitions: list[TopicPartition]) -> None:
            # Runs inside poll(), consume() or close(). A switch here would close the
            # consumer serving the callback, so a failure only counts at the next check,
            # and only while this consumer's region is still the bound one.
            if error is None or error.code() == KafkaError._NO_OFFSET:
                return
            logger.warning("commit failed region=%s error=%s", region.name, error)
            if region == self._bound_region:
                self._commit_failures += 1

        return on_commit

    def _positions(self) -> dict[TopicPartition, int]:
        try:
            assigned = self._consumer.position(self._consumer.assignment())
        except KafkaException:
            return {}
        return {
            TopicPartition(tp.topic, tp.partition): tp.offset for tp in assigned if tp.offset >= 0
        }

    def _failback_offsets(
        self, current: RegionEndpoint, primary: RegionEndpoint, positions: dict[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        timeout_s = self.translation_timeout_s
        try:
            reverse = translate_offsets(
                self.group_id, current.name, primary.bootstrap_servers, timeout_s
            )
            syncs = read_offset_syncs(primary.bootstrap_servers, current.name, timeout_s)
        except OffsetTranslationError as exc:
            logger.warning("failback translation failed group=%s error=%s", self.group_id, exc)
            return {}
        return {**reverse_translate(positions, syncs), **reverse}


def _close(consumer: Consumer, region: RegionEndpoint) -> None:
    # confluent-kafka 2.x can fail close() with a KafkaError object, which derives from
    # no exception class, so only a bare except catches it.
    try:
        consumer.close()
    except:  # noqa: E722
        logger.warning("closing consumer failed region=%s error=%s", region.name, sys.exc_info()[1])
