"""The router: read source topics, match events against the rules, write to every target.

Run it with `keybus run router` or `faust -A topologies.router worker`. Settings come
from KEYBUS_* variables (see `keybus.streams.StreamSettings`): the rules file, Kafka,
the registry, the processing guarantee and an optional catch-all topic.

Every record of a source topic is decoded with its writer schema from the registry,
matched against the rules of its topic, and sent unchanged (or reshaped by the rule's
input transform) to each target of each matching rule, with its headers kept and a
`keybus_rule` header added. Records that match no rule are counted and, when a
catch-all topic is set, sent there. Records that cannot be decoded go to
`<topic>.keybus-router.dlq` with the dead-letter headers that `keybus dlq` reads.

Records are routed in batches of what the worker has already fetched. With
at_least_once, a batch's outputs are sent together and acknowledged before its records
are acked, and Faust flushes its producer before each offset commit. With
exactly_once, each source partition's share of a batch and the offset after it are
written in one Kafka transaction of that partition (`keybus.streams.transactions`),
which the router commits itself; Faust runs at least once and commits no source offset.
A batch that fails stops the worker before anything of it is committed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

import faust
from aiokafka.structs import TopicPartition
from faust.types import EventT, Message

from keybus.routing import RuleSetWatcher
from keybus.streams import RecordRouter, RegistryDecoder, StreamSettings, make_app
from keybus.streams.bytes_schema import BytesSchema
from keybus.streams.router import RoutingOutcome
from keybus.streams.transactions import PartitionTransactions, TransactionError

logger = logging.getLogger(__name__)

settings = StreamSettings()
APP_NAME = settings.app_id or "keybus-router"
EXACTLY_ONCE = settings.processing_guarantee == "exactly_once"
COMMIT_EVERY_NEVER = 2**62
"""A record count Faust's fetch loop never reaches, so only its commit timer commits."""
EXIT_BATCH_FAILED = 70
"""Exit status of a worker stopped by a failed batch (EX_SOFTWARE)."""

# Faust's own exactly_once is not used: its transaction manager keeps producers of
# revoked partitions, which another worker fences, and begins transactions on them
# again after a later rebalance, so sends fail mid-batch and the batch is acked anyway.
# Faust commits acked offsets from its fetch loop every `broker_commit_every` records,
# and that commit flushes the producer while no record is fetched. The router leaves
# commits to Faust's one-second timer instead, which runs beside the fetch loop.
app = make_app(
    APP_NAME,
    settings,
    processing_guarantee="at_least_once",
    broker_commit_every=COMMIT_EVERY_NEVER,
)
watcher = RuleSetWatcher(settings.rules_file)
decoder = RegistryDecoder(settings.registry_url)
router = RecordRouter(
    lambda: watcher.ruleset,
    decoder,
    catch_all_topic=settings.catch_all_topic,
    group=APP_NAME,
)
transactions = (
    PartitionTransactions(
        settings.bootstrap_servers,
        APP_NAME,
        interval_s=settings.transaction_interval_s,
        producer_options={"linger_ms": 1},
    )
    if EXACTLY_ONCE
    else None
)

# Under exactly_once the router commits source offsets in its transactions, so Faust
# must not track or commit them.
sources = app.topic(
    *sorted(watcher.ruleset.sources),
    schema=BytesSchema(),
    acks=not EXACTLY_ONCE,
)


class _Assignment:
    """The consumer generation whose records may be routed, and the batch lock."""

    def __init__(self) -> None:
        self.generation: int | None = None
        self.lock = asyncio.Lock()


assignment = _Assignment()


@app.agent(sources)
async def route(stream: faust.StreamT[Any]) -> AsyncIterator[None]:
    """Route the source records in batches of what was already fetched."""
    batches = stream.take_events(settings.batch_size, within=settings.batch_within_s)
    async for events in batches:
        async with assignment.lock:
            try:
                if transactions is None:
                    await route_at_least_once(events)
                else:
                    await route_exactly_once(events, transactions)
                    await transactions.commit_due()
            except Exception as exc:  # noqa: BLE001 - any failure stops the worker
                stop_without_commit(exc)
        yield None


async def route_at_least_once(events: Sequence[EventT[Any]]) -> None:
    """Send the outputs of a batch and wait until Kafka acknowledged all of them."""
    pending = []
    for event in events:
        for output in route_message(event.message).outputs:
            pending.append(
                await app.producer.send(
                    output.topic, output.key, output.value, None, None, output.headers
                )
            )
    if pending:
        await asyncio.gather(*pending)


async def route_exactly_once(
    events: Sequence[EventT[Any]], partitions: PartitionTransactions
) -> None:
    """Write each source partition's share of a batch in that partition's transaction.

    The transactions commit every `KEYBUS_TRANSACTION_INTERVAL_S`, not per batch, because
    a commit costs several round trips to the broker for each partition.

    Records fetched before the current assignment are skipped without being committed:
    Faust seeks their partitions back to the committed offset, so they are read again.
    """
    generation = assignment.generation
    by_partition: dict[TopicPartition, list[Message]] = {}
    for event in events:
        message = event.message
        if generation is None or message.generation_id != generation:
            continue
        tp = TopicPartition(message.topic, message.partition)
        by_partition.setdefault(tp, []).append(message)
    await asyncio.gather(
        *(write_partition(partitions, tp, messages) for tp, messages in by_partition.items())
    )


async def write_partition(
    partitions: PartitionTransactions, tp: TopicPartition, messages: list[Message]
) -> None:
    """Route one partition's records and write their outputs with the next offset."""
    next_offset = await partitions.next_offset(tp)
    if next_offset is not None:
        messages = [message for message in messages if message.offset >= next_offset]
    if not messages:
        return
    outputs = [output for message in messages for output in route_message(message).outputs]
    await partitions.write(tp, outputs, messages[-1].offset + 1)


def route_message(message: Message) -> RoutingOutcome:
    """Return the routing outcome of one source record."""
    return router.route(
        message.topic,
        message.key,
        message.value,
        _headers(message.headers),
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=None if message.timestamp is None else int(message.timestamp * 1000),
    )


def _headers(headers: Any) -> list[tuple[str, bytes]]:
    items = headers.items() if isinstance(headers, dict) else headers or []
    return [(str(name), bytes(data or b"")) for name, data in items]


def stop_without_commit(exc: BaseException) -> None:
    """Stop the worker at once, so no offset of the failed batch is committed.

    Under at_least_once a graceful stop would commit: Faust acks every record of a taken
    batch when the batch generator closes, whether or not its outputs were sent. The
    partitions move to the other workers, which read the batch again.
    """
    logger.critical("batch failed, stopping the worker without committing: %r", exc)
    logging.shutdown()
    os._exit(EXIT_BATCH_FAILED)


@app.on_partitions_revoked.connect
async def on_partitions_revoked(sender: faust.App, revoked: set[Any], **kwargs: Any) -> None:
    """Wait for the batch in progress, commit, and stop routing until the next assignment."""
    async with assignment.lock:
        assignment.generation = None
        if transactions is not None:
            try:
                await transactions.commit()
            except Exception as exc:  # noqa: BLE001 - any failure stops the worker
                stop_without_commit(exc)


@app.on_partitions_assigned.connect
async def on_partitions_assigned(sender: faust.App, assigned: set[Any], **kwargs: Any) -> None:
    """Route records of the new generation; drop producers of partitions now elsewhere."""
    async with assignment.lock:
        if transactions is not None:
            await transactions.reset(TopicPartition(tp.topic, tp.partition) for tp in assigned)
        assignment.generation = app.consumer_generation_id


@app.on_before_shutdown.connect
async def stop_transactions(sender: faust.App, **kwargs: Any) -> None:
    """Commit the open transactions and stop the transactional producers."""
    if transactions is None:
        return
    async with assignment.lock:
        try:
            await transactions.commit()
        except TransactionError as exc:
            # Nothing of the failed transaction is visible; the next owner reads it again.
            logger.warning("transactions not committed at shutdown: %s", exc)
        await transactions.stop()


@app.timer(interval=settings.transaction_interval_s / 2)
async def commit_transactions() -> None:
    """Commit the open transactions that are due, also when no batch arrives."""
    if transactions is not None:
        async with assignment.lock:
            try:
                await transactions.commit_due()
            except Exception as exc:  # noqa: BLE001 - any failure stops the worker
                stop_without_commit(exc)


@app.timer(interval=settings.reload_interval_s)
async def reload_rules() -> None:
    """Pick up a changed rules file; an invalid one keeps the rules in force."""
    if watcher.check():
        added = watcher.ruleset.sources - set(sources.topics)
        if added:
            logger.warning(
                "rules read new source topics %s; restart the router to consume them",
                sorted(added),
            )


@app.timer(interval=30.0)
async def log_stats() -> None:
    """Log the routing counts."""
    stats = router.stats
    logger.info(
        "router records=%s routed=%s unmatched=%s undecodable=%s",
        stats.records,
        stats.routed,
        stats.unmatched,
        stats.undecodable,
    )


# The modules, the app and the compiled rules live as long as the worker. Moving them out
# of the collector's generations keeps full collections, which pause routing, short.
gc.freeze()
