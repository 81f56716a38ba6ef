"""A producer that moves to the next region and re-sends what the lost region never acked."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Message

from keybus.failover.regions import RegionEndpoint, RegionSelector
from keybus.kafka import Producer

__all__ = ["DeliveryCallback", "FailoverProducer"]

logger = logging.getLogger(__name__)

DeliveryCallback = Callable[[KafkaError | None, Message], None]
"""Called once per record with None and the acked record, or with the final error."""

Headers = list[tuple[str, str | bytes | None]]
"""Record headers as (name, value) pairs."""

_PURGED = frozenset({KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})


@dataclass
class _Outgoing:
    topic: str
    key: bytes | str | None
    value: bytes | str | None
    headers: Headers | None
    on_delivery: DeliveryCallback | None


class FailoverProducer:
    """An idempotent `acks=all` confluent-kafka producer bound to the active region.

    Every `health_interval_s` a poll probes the active region, and every failed
    delivery counts as one failure. When the selector switches, the producer drops the
    old region's queue and sends every record not yet acked there to the new region,
    in the original order. A record that was in flight when the region died may have
    been written there too, so a switch can duplicate records but never drops an
    acked or unacked one. `failback()` returns to the primary explicitly.
    """

    def __init__(
        self,
        selector: RegionSelector,
        *,
        config: Mapping[str, Any] | None = None,
        health_interval_s: float = 1.0,
        on_switch: Callable[[RegionEndpoint, RegionEndpoint], None] | None = None,
    ) -> None:
        self.selector = selector
        self.health_interval_s = health_interval_s
        self._config = dict(config or {})
        self._on_switch = on_switch
        self._pending: dict[int, _Outgoing] = {}
        self._sequence = itertools.count()
        self._switch_to: RegionEndpoint | None = None
        self.resent_total = 0
        self._last_check = time.monotonic()
        self._bound_region = selector.active
        self._producer = self._open(selector.active)

    @property
    def region(self) -> RegionEndpoint:
        """The region new records go to."""
        return self._bound_region

    @property
    def pending(self) -> int:
        """Records sent but neither acked nor failed for good."""
        return len(self._pending)

    def produce(
        self,
        topic: str,
        value: bytes | str | None,
        key: bytes | str | None = None,
        headers: Headers | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Queue one record for the active region; blocks while the local queue is full."""
        sequence = next(self._sequence)
        outgoing = _Outgoing(topic, key, value, headers, on_delivery)
        self._pending[sequence] = outgoing
        self._send(sequence, outgoing)

    def poll(self, timeout_s: float = 0.0) -> int:
        """Serve delivery callbacks; probe the region and switch when it is due."""
        served = self._producer.poll(timeout_s)
        self._check_health()
        self._apply_switch()
        return int(served)

    def flush(self, timeout_s: float = 30.0) -> int:
        """Wait until every record is acked or failed, switching regions as needed.

        Returns:
            The number of records still pending after `timeout_s`.
        """
        deadline = time.monotonic() + timeout_s
        while self._pending and time.monotonic() < deadline:
            self.poll(min(0.5, max(deadline - time.monotonic(), 0.0)))
        return len(self._pending)

    def failback(self, flush_timeout_s: float = 30.0) -> RegionEndpoint:
        """Flush in the current region, then send new records to the primary again.

        Raises FailbackError while the primary fails its probe.

        NOTE: with the active-passive topology, records acked by the standby during the
        outage stay in the standby, because nothing copies them back to the primary.
        Consumers must read the standby to its end before their own failback.
        """
        self.flush(flush_timeout_s)
        primary = self.selector.failback()
        if primary != self._bound_region:
            self._switch_to = primary
            self._apply_switch()
        return primary

    def close(self, timeout_s: float = 30.0) -> int:
        """Flush and return the number of records that were never acked."""
        return self.flush(timeout_s)

    def _send(self, sequence: int, outgoing: _Outgoing) -> None:
        def on_delivery(error: KafkaError | None, record: Message) -> None:
            self._delivered(sequence, error, record)

        while True:
            try:
                self._producer.produce(
                    outgoing.topic,
                    value=outgoing.value,
                    key=outgoing.key,
                    headers=outgoing.headers,
                    on_delivery=on_delivery,
                )
            except BufferError:
                self.poll(0.1)
                continue
            return

    def _delivered(self, sequence: int, error: KafkaError | None, record: Message) -> None:
        outgoing = self._pending.get(sequence)
        if outgoing is None:
            return
        if error is not None and error.code() in _PURGED:
            return
        if error is not None and self._switch_to is None:
            logger.warning("delivery failed region=%s error=%s", self.region.name, error)
            self._switch_to = self.selector.record_failure()
        if error is not None and self._switch_to is not None:
            return
        del self._pending[sequence]
        if outgoing.on_delivery is not None:
            outgoing.on_delivery(error, record)

    def _check_health(self) -> None:
        now = time.monotonic()
        if self._switch_to is not None or now - self._last_check < self.health_interval_s:
            return
        self._last_check = now
        self._switch_to = self.selector.check()

    def _apply_switch(self) -> None:
        new_region = self._switch_to
        if new_region is None:
            return
        old_region = self._bound_region
        old = self._producer
        old.purge(in_queue=True, in_flight=True, blocking=False)
        old.poll(0)
        self._producer = self._open(new_region)
        self._switch_to = None
        resent = sorted(self._pending.items())
        logger.warning(
            "producer switched from=%s to=%s resent=%s",
            old_region.name,
            new_region.name,
            len(resent),
        )
        self.resent_total += len(resent)
        for sequence, outgoing in resent:
            self._send(sequence, outgoing)
        if self._on_switch is not None:
            self._on_switch(old_region, new_region)

    def _open(self, region: RegionEndpoint) -> Producer:
        config: dict[str, Any] = {
            "linger.ms": 5,
            **self._config,
            "bootstrap.servers": region.bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
        }
        self._bound_region = region
        logger.info("producer opened region=%s", region.name)
        return Producer(config)
