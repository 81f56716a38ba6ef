"""The keybus Faust consumer's delivery and fetch waits, on a Faust app that never connects.

No broker runs: the consumer is built but not started, and the fetch itself is replaced
by a function that records which partitions it was asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import faust
import pytest
from faust.types import TP

from keybus.streams.transport import Consumer, Transport

Check = Callable[[Consumer], Coroutine[Any, Any, None]]


def _run(check: Check) -> None:
    async def main() -> None:
        app = faust.App("test-transport", broker="kafka://127.0.0.1:1", store="memory://")
        transport = Transport(app.conf.broker_consumer, app)
        consumer = transport.create_consumer(
            callback=_ignore, on_partitions_revoked=None, on_partitions_assigned=None
        )
        assert isinstance(consumer, Consumer)
        await check(consumer)

    asyncio.run(main())


async def _ignore(message: Any) -> None:
    return None


def test_wait_first_returns_coroutine_that_never_suspends() -> None:
    async def check(consumer: Consumer) -> None:
        flow_suspended = asyncio.Event()

        async def deliver() -> int:
            return 7

        delivery = deliver()
        results = await consumer.wait_first(delivery, flow_suspended.wait())

        assert results.done == [delivery]
        assert results.results == [7]
        assert not results.stopped

    _run(check)


def test_wait_first_finishes_coroutine_that_suspends() -> None:
    async def check(consumer: Consumer) -> None:
        flow_suspended = asyncio.Event()

        async def deliver() -> int:
            await asyncio.sleep(0.01)
            return 8

        delivery = deliver()
        results = await consumer.wait_first(delivery, flow_suspended.wait())

        assert results.done == [delivery]
        assert results.results == [8]

    _run(check)


def test_wait_first_cancels_waiting_delivery() -> None:
    async def check(consumer: Consumer) -> None:
        flow_suspended = asyncio.Event()
        buffer_free = asyncio.Event()
        cancelled: list[bool] = []

        async def deliver() -> None:
            try:
                await buffer_free.wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        asyncio.get_running_loop().call_later(0.01, flow_suspended.set)
        results = await consumer.wait_first(deliver(), flow_suspended.wait())
        await asyncio.sleep(0)

        assert results.results == [True]
        assert cancelled == [True]

    _run(check)


def test_wait_first_raises_error_of_coroutine() -> None:
    async def check(consumer: Consumer) -> None:
        flow_suspended = asyncio.Event()

        async def deliver() -> None:
            raise KeyError("no callback for partition")

        with pytest.raises(KeyError, match="no callback"):
            await consumer.wait_first(deliver(), flow_suspended.wait())

    _run(check)


def test_wait_first_reports_stopped_consumer() -> None:
    async def check(consumer: Consumer) -> None:
        async def deliver() -> int:
            return 7

        consumer._stopped.set()
        results = await consumer.wait_first(deliver())

        assert results.stopped

    _run(check)


def test_fetch_resumes_when_buffer_drains() -> None:
    async def check(consumer: Consumer) -> None:
        tp = TP("readings", 0)
        fetched: list[set[TP]] = []

        async def getmany(active_partitions: set[TP], timeout: float) -> dict[TP, list[Any]]:
            fetched.append(set(active_partitions))
            return {}

        consumer._getmany = getmany  # type: ignore[method-assign]
        consumer._active_partitions = {tp}
        consumer.on_buffer_full(tp)
        asyncio.get_running_loop().call_later(0.01, consumer.on_buffer_drop, tp)
        started = time.monotonic()
        await consumer._wait_next_records(timeout=5.0)
        await consumer._wait_next_records(timeout=5.0)

        assert time.monotonic() - started < 0.5
        assert fetched == [{tp}]

    _run(check)


def test_fetch_skips_waiting_on_other_partitions() -> None:
    async def check(consumer: Consumer) -> None:
        tp, leader = TP("readings", 0), TP("app-__assignor-__leader", 0)
        timeouts: list[float] = []

        async def getmany(active_partitions: set[TP], timeout: float) -> dict[TP, list[Any]]:
            timeouts.append(timeout)
            return {}

        consumer._getmany = getmany  # type: ignore[method-assign]
        consumer._active_partitions = {tp, leader}
        consumer.on_buffer_full(tp)
        asyncio.get_running_loop().call_later(0.01, consumer.on_buffer_drop, tp)
        started = time.monotonic()
        await consumer._wait_next_records(timeout=5.0)

        assert time.monotonic() - started < 0.5
        assert timeouts == [0]
        assert consumer._get_active_partitions() == {tp, leader}

    _run(check)
