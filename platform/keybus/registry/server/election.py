"""Primary election through a Kafka consumer group, and the primary role built on it."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from keybus.kafka import Consumer
from keybus.registry.server.coordination import PrimaryAnnouncement
from keybus.registry.server.store import KafkaStore

__all__ = ["PrimaryElection", "PrimaryRole"]

logger = logging.getLogger(__name__)

# The broker's default group.min.session.timeout.ms is 6 s: a killed primary is
# noticed after at most this long, which keeps failover well under 15 s.
_SESSION_TIMEOUT_MS = 6000
_HEARTBEAT_INTERVAL_MS = 1000
_RETRY_TAKE_OVER_S = 5.0


class PrimaryElection:
    """Join a consumer group on the coordination topic, where the owner of partition 0 wins.

    The cooperative-sticky assignor keeps partition 0 with its owner while other
    instances join and leave, so the primary changes only when it stops or dies.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        group_id: str,
        on_change: Callable[[bool], None],
    ) -> None:
        self._topic = topic
        self._on_change = on_change
        self._config = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "session.timeout.ms": _SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": _HEARTBEAT_INTERVAL_MS,
            "partition.assignment.strategy": "cooperative-sticky",
            "enable.auto.commit": False,
            "auto.offset.reset": "latest",
        }
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="keybus-registry-election", daemon=True
        )
        self._owned = False

    def start(self) -> None:
        """Join the group in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Leave the group, so that another instance takes over at once."""
        self._stopping.set()
        self._thread.join(timeout=15.0)

    def _run(self) -> None:
        consumer = Consumer(self._config)
        consumer.subscribe(
            [self._topic], on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked
        )
        try:
            while not self._stopping.is_set():
                try:
                    consumer.poll(0.1)
                except KafkaException as exc:
                    logger.warning("Election consumer error=%s; retrying", exc)
        finally:
            self._set_owned(False)
            consumer.close()

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if any(tp.partition == 0 for tp in partitions):
            self._set_owned(True)

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if any(tp.partition == 0 for tp in partitions):
            self._set_owned(False)

    def _set_owned(self, owned: bool) -> None:
        if owned != self._owned:
            self._owned = owned
            self._on_change(owned)


class PrimaryRole:
    """Become the primary when elected: fence earlier writers, catch up, announce.

    Attributes:
        instance_id: a random id of this process, announced with its URL.
        is_primary: True once this instance may write; False again when deposed.
    """

    def __init__(self, store: KafkaStore, url: str, transactional_id: str) -> None:
        self.instance_id = uuid.uuid4().hex
        self.is_primary = False
        self._store = store
        self._url = url
        self._transactional_id = transactional_id
        self._elected = False
        self._term = 0
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        store.on_fenced = self._fenced

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take election results on this event loop."""
        self._loop = loop
        self._ready = asyncio.Event()

    def on_election_change(self, owned: bool) -> None:
        """Receive an election result from the election thread."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._change, owned)

    @property
    def is_elected(self) -> bool:
        """Whether the election chose this instance, ready to write or not yet."""
        return self._elected

    async def wait_ready(self, timeout_s: float) -> bool:
        """Wait until this elected instance may write, and return False if it did not in time."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=timeout_s)
        except TimeoutError:
            return False
        return self.is_primary

    def _change(self, owned: bool) -> None:
        self._term += 1
        self._elected = owned
        if owned:
            self._spawn(self._take_over(self._term))
        else:
            self._step_down("partition 0 of the coordination topic was revoked")

    async def _take_over(self, term: int) -> None:
        logger.info(
            "Elected primary instance_id=%s url=%s; fencing earlier writers",
            self.instance_id,
            self._url,
        )
        try:
            await self._store.open_writer(self._transactional_id, timeout_s=30.0)
            await self._store.catch_up(timeout_s=30.0)
            await self._store.announce(
                PrimaryAnnouncement(self._url, self.instance_id), timeout_s=10.0
            )
        except Exception:
            logger.exception(
                "Taking over as primary failed instance_id=%s; retrying in %s s",
                self.instance_id,
                _RETRY_TAKE_OVER_S,
            )
            await self._store.close_writer()
            self._spawn(self._take_over_later(term, _RETRY_TAKE_OVER_S))
            return
        if term != self._term:
            await self._store.close_writer()
            return
        self.is_primary = True
        self._ready.set()
        logger.info("Serving as primary instance_id=%s url=%s", self.instance_id, self._url)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        # The loop keeps only weak references to tasks, so they are kept here until done.
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fenced(self) -> None:
        self._step_down("fenced by a newer writer")
        # A newer primary also owns partition 0 in its view, so this instance loses the
        # partition within one session timeout. If it still owns it after twice that, the
        # fencing writer was no registry instance, and this one takes over again.
        delay_s = 2 * _SESSION_TIMEOUT_MS / 1000
        self._spawn(self._take_over_later(self._term, delay_s))

    async def _take_over_later(self, term: int, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        if self._elected and term == self._term and not self.is_primary:
            logger.warning("Still elected; taking over again instance_id=%s", self.instance_id)
            await self._take_over(term)

    def _step_down(self, reason: str) -> None:
        was_primary = self.is_primary
        self.is_primary = False
        self._ready = asyncio.Event()
        if was_primary:
            logger.warning(
                "Stepped down as primary instance_id=%s reason=%s", self.instance_id, reason
            )
            self._spawn(self._store.close_writer())
