"""A Faust Kafka transport whose fetcher hands records to the streams with less work."""

from __future__ import annotations

import inspect
from collections.abc import Coroutine, Generator
from typing import Any

from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP
from mode.services import WaitArgT, WaitResults
from mode.utils.locks import Event
from mode.utils.times import Seconds

__all__ = ["Consumer", "Transport"]


class _Resumed:
    """An awaitable that runs a coroutine on from where it first suspended.

    The coroutine was started outside any task and suspended on `suspended_on`. The task
    that awaits this object waits for that future, then drives the coroutine to its end.
    Results and exceptions, cancellation included, pass through in both directions.
    """

    __slots__ = ("coroutine", "suspended_on")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], suspended_on: Any) -> None:
        self.coroutine = coroutine
        self.suspended_on = suspended_on

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, to_yield = self.coroutine, self.suspended_on
        while True:
            try:
                sent = yield to_yield
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - passed on to the coroutine
                try:
                    to_yield = coroutine.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    to_yield = coroutine.send(sent)
                except StopIteration as stop:
                    return stop.value


class Consumer(aiokafka_driver.Consumer):
    """Faust's aiokafka consumer, with less work per record and no idle second.

    Faust's fetch loop (faust-streaming 0.15) hands every record to the streams with
    `wait_first(deliver(record), suspend_flow.wait())`, so that a rebalance interrupts a
    delivery that waits for a full stream buffer. Mode's `wait_first` makes a task of
    each argument and of the stopped and crashed events, and cancels three of them,
    which costs more CPU per record than decoding it. A delivery waits only for a full
    stream buffer, a suspended flow or a full producer buffer, so this consumer runs it
    at once, as Python 3.12's eager tasks do, and falls back to the race when it waits.

    A delivery into a full buffer waits record by record, which costs several times
    more. The fetch size (`broker_max_poll_records`) keeps the buffers from filling:
    Faust stops fetching a partition once its stream's buffer is 80 % full and resumes
    it when the stream has emptied the buffer. Until then Faust sleeps a second or
    waits up to a second for records of the other partitions, and the stream runs dry
    meanwhile. This consumer fetches as soon as a partition resumes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._partition_resumed = Event()

    def on_buffer_drop(self, tp: TP) -> None:
        """Fetch `tp` again now that its stream's buffer has room."""
        super().on_buffer_drop(tp)
        self._partition_resumed.set()

    async def _wait_next_records(self, timeout: float) -> Any:
        # Faust sleeps a fixed second when every partition waits for a stream buffer.
        # When only some wait, it fetches the others for up to `timeout`, and partitions
        # without new records (Faust's own leader topic has none) keep it that long.
        # While a stream buffer is over its mark, the other partitions are fetched
        # without waiting, then the fetcher waits for the first resumed partition.
        # NOTE: this overrides a private method and reads private state of the Consumer
        # of faust-streaming 0.15.3; pyproject.toml pins 0.15.x, and a newer Faust must
        # be checked against it before the pin moves.
        if not (self.flow_active and self._buffered_partitions):
            return await super()._wait_next_records(timeout)
        self._partition_resumed.clear()
        if self._get_active_partitions():
            records, active_partitions = await super()._wait_next_records(0)
            if records:
                return records, active_partitions
        await self.wait(self._partition_resumed, timeout=timeout)
        return {}, set()

    async def wait_first(
        self,
        *coros: WaitArgT,
        # mode annotates `timeout` as Seconds, though its default None waits forever.
        timeout: Seconds = None,  # type: ignore[assignment]
    ) -> WaitResults:
        """Wait for the first of `coros` to finish, or the consumer to stop.

        Runs a first coroutine at once while the consumer is running. When it finishes
        without suspending, it is the winner and the other coroutines are closed unrun;
        otherwise it races the others as in `Service.wait_first`.
        """
        first = coros[0] if coros else None
        if not inspect.iscoroutine(first) or self._stopped.is_set() or self._crashed.is_set():
            return await super().wait_first(*coros, timeout=timeout)
        try:
            suspended_on = first.send(None)
        except StopIteration as stop:
            _close(coros[1:])
            if self._stopped.is_set() or self._crashed.is_set():
                return WaitResults([], [], True)
            return WaitResults([first], [stop.value], False)
        except BaseException:
            _close(coros[1:])
            raise
        resumed = _Resumed(first, suspended_on)
        results = await super().wait_first(resumed, *coros[1:], timeout=timeout)
        done = [first if winner is resumed else winner for winner in results.done]
        return WaitResults(done, results.results, results.stopped)


class Transport(aiokafka_driver.Transport):
    """Faust's aiokafka transport with the consumer above."""

    Consumer = Consumer


def _close(awaitables: tuple[WaitArgT, ...]) -> None:
    for awaitable in awaitables:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
