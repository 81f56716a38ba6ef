"""`keybus dlq`: count, inspect and replay the dead letters of a consumer group."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from confluent_kafka import KafkaException
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keybus.cli.console import console, fail
from keybus.cli.options import BootstrapServersOption, check_topic_option
from keybus.errors import KeybusError, clause
from keybus.kafka import check_brokers, unreachable_error
from keybus.registry import RegistryClient
from keybus.retry.deadletters import (
    AGE_BUCKETS,
    DeadLetter,
    DeadLetterFilter,
    read_dead_letters,
    summarize,
)
from keybus.retry.errors import RetryConfigError
from keybus.retry.headers import BOOKKEEPING_PREFIX
from keybus.retry.naming import parse_delay
from keybus.retry.replay import ReplayDestination, replay
from keybus.serde import MAGIC_BYTE, AvroDeserializer

__all__ = ["app"]

MAGIC_BYTE_VALUE = bytes([MAGIC_BYTE])

app = typer.Typer(
    help="Count, inspect and replay dead letters (topics named <topic>.<group>.dlq).",
    no_args_is_help=True,
)

TopicArgument = Annotated[str, typer.Argument(help="Dead-letter topic, e.g. orders.billing.dlq.")]
ErrorTypeOption = Annotated[
    str | None, typer.Option(help="Only this error type, e.g. TimeoutError or a full name.")
]
SinceOption = Annotated[
    str | None,
    typer.Option(help="Only parked at or after: ISO-8601 time, or an age such as 2h or 30m."),
]
UntilOption = Annotated[
    str | None,
    typer.Option(help="Only parked at or before: ISO-8601 time, or an age such as 2h or 30m."),
]
EventTypeOption = Annotated[
    str | None, typer.Option(help="Only this event type (ce_type header), an Avro full name.")
]
KeyOption = Annotated[str | None, typer.Option(help="Only records with this key (UTF-8).")]
AnyTopicOption = Annotated[
    bool,
    typer.Option(
        help="Read the topic even if it is not named <topic>.<group>.dlq "
        "or has no keybus dead-letter headers."
    ),
]


def _time_ms(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return int((time.time() - parse_delay(text)) * 1000)
    except RetryConfigError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RetryConfigError(
            f"{option} {text!r} is neither an ISO-8601 time (2026-12-04T16:00:00Z) nor an "
            "age (2h, 30m, 45s)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _filter(
    error_type: str | None,
    since: str | None,
    until: str | None,
    event_type: str | None,
    key: str | None,
) -> DeadLetterFilter:
    since_ms = _time_ms(since, "--since")
    until_ms = _time_ms(until, "--until")
    if since_ms is not None and until_ms is not None and since_ms > until_ms:
        raise RetryConfigError(
            f"--since {since} ({_iso(since_ms)}) is later than --until {until} "
            f"({_iso(until_ms)}), so no dead letter can match. Give --since the earlier "
            "time; as ages, --since takes the larger one (--since 2h --until 1h)."
        )
    return DeadLetterFilter(
        error_type=error_type,
        since_ms=since_ms,
        until_ms=until_ms,
        event_type=event_type,
        key=key,
    )


def _iso(time_ms: int) -> str:
    return datetime.fromtimestamp(time_ms / 1000, UTC).isoformat(timespec="seconds")


def _read(
    servers: str, topic: str, letter_filter: DeadLetterFilter, *, any_topic: bool
) -> list[DeadLetter]:
    check_topic_option(topic, "the TOPIC argument")
    check_brokers(servers)
    try:
        return read_dead_letters(servers, topic, letter_filter, any_topic=any_topic)
    except KafkaException as exc:
        unreachable = unreachable_error(exc, servers)
        if unreachable is not None:
            raise unreachable from exc
        raise RetryConfigError(
            f"Cannot read {topic} from Kafka at {servers}: {clause(exc)}. Start Kafka with "
            "`keybus dev up` or pass --bootstrap-servers."
        ) from exc


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@app.command("list")
def list_command(
    topic: TopicArgument,
    *,
    bootstrap_servers: BootstrapServersOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    any_topic: AnyTopicOption = False,
) -> None:
    """Count dead letters by error type and age."""
    try:
        letters = _read(bootstrap_servers, topic, DeadLetterFilter(), any_topic=any_topic)
    except KeybusError as exc:
        fail(exc)
    summaries = summarize(letters, time.time())
    if as_json:
        rows = [
            {
                "error_type": summary.error_type,
                "count": summary.count,
                "by_age": {label: summary.by_age[label] for label, _bound in AGE_BUCKETS},
                "oldest_s": round(summary.oldest_s, 3),
            }
            for summary in summaries
        ]
        console.print_json(json.dumps({"topic": topic, "total": len(letters), "errors": rows}))
        return
    table = Table(title=f"{len(letters)} dead letter(s) in {topic}")
    table.add_column("error type")
    table.add_column("count", justify="right")
    for label, _bound in AGE_BUCKETS:
        table.add_column(label, justify="right")
    table.add_column("oldest", justify="right")
    for summary in summaries:
        ages = [str(summary.by_age[label]) for label, _bound in AGE_BUCKETS]
        table.add_row(escape(summary.error_type), str(summary.count), *ages, _age(summary.oldest_s))
    console.print(table)


def _decode_value(value: bytes | None, deserializer: AvroDeserializer | None) -> Any:
    """Decode Avro in the wire format with the registry, else JSON, else text, else hex."""
    if value is None:
        return None
    if deserializer is not None and value[:1] == MAGIC_BYTE_VALUE:
        try:
            return deserializer.decode(value).value
        except KeybusError as exc:
            return {"undecodable": exc.message, "bytes": len(value), "hex": value[:64].hex()}
    try:
        return json.loads(value)
    except (UnicodeDecodeError, ValueError):
        pass
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"bytes": len(value), "hex": value[:64].hex()}


def _describe(letter: DeadLetter, deserializer: AvroDeserializer | None) -> dict[str, Any]:
    record = letter.record
    failure = {
        name.removeprefix(BOOKKEEPING_PREFIX): value.decode("utf-8", errors="replace")
        for name, value in record.headers
        if name.startswith(BOOKKEEPING_PREFIX)
    }
    for name in list(failure):
        if name.endswith("-ms") and failure[name].isdigit():
            moment = datetime.fromtimestamp(int(failure[name]) / 1000, UTC)
            failure[name.removesuffix("-ms")] = moment.isoformat(timespec="milliseconds")
            del failure[name]
    return {
        "dead_letter": f"{record.topic}[{record.partition}]@{record.offset}",
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "key": None if record.key is None else record.key.decode("utf-8", errors="replace"),
        "event": _decode_value(record.value, deserializer),
        "failure": failure,
    }


@app.command("show")
def show_command(
    topic: TopicArgument,
    *,
    bootstrap_servers: BootstrapServersOption,
    error_type: ErrorTypeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    event_type: EventTypeOption = None,
    key: KeyOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many dead letters.")] = 20,
    registry_url: Annotated[
        str | None,
        typer.Option(
            envvar="KEYBUS_REGISTRY_URL",
            help="Schema registry to decode Avro values with; without it they show as hex.",
        ),
    ] = None,
    any_topic: AnyTopicOption = False,
) -> None:
    """Print dead letters with their decoded events and failure headers, as JSON."""
    try:
        letter_filter = _filter(error_type, since, until, event_type, key)
        letters = _read(bootstrap_servers, topic, letter_filter, any_topic=any_topic)
    except KeybusError as exc:
        fail(exc)
    registry = RegistryClient(registry_url) if registry_url else None
    deserializer = AvroDeserializer(registry) if registry is not None else None
    try:
        for letter in letters[:limit]:
            console.print_json(json.dumps(_describe(letter, deserializer), default=str))
    finally:
        if registry is not None:
            registry.close()
    console.print(f"{min(limit, len(letters))} of {len(letters)} matching dead letter(s) shown.")


@app.command("replay")
def replay_command(
    topic: TopicArgument,
    *,
    bootstrap_servers: BootstrapServersOption,
    to: Annotated[
        ReplayDestination,
        typer.Option(help="original: the topic the event was first read from; retry: first tier."),
    ] = ReplayDestination.ORIGINAL,
    error_type: ErrorTypeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    event_type: EventTypeOption = None,
    key: KeyOption = None,
    dry_run: Annotated[bool, typer.Option(help="Count what would be replayed; send nothing.")] = (
        False
    ),
    any_topic: AnyTopicOption = False,
) -> None:
    """Replay matching dead letters once each; a second run delivers nothing new."""
    try:
        letter_filter = _filter(error_type, since, until, event_type, key)
        letters = _read(bootstrap_servers, topic, letter_filter, any_topic=any_topic)
        with Progress(
            TextColumn("replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=dry_run,
        ) as progress:
            task = progress.add_task("replay", total=None)
            report = replay(
                bootstrap_servers,
                topic,
                letters,
                to,
                dry_run=dry_run,
                on_planned=lambda total: progress.update(task, total=total),
                on_progress=lambda count: progress.advance(task, count),
            )
    except KeybusError as exc:
        fail(exc)
    except KafkaException as exc:
        fail(
            unreachable_error(exc, bootstrap_servers)
            or f"Replay of {topic} failed in Kafka at {bootstrap_servers}: {clause(exc)}. "
            "Dead letters already replayed are in the ledger, so run the command again to "
            "replay the rest."
        )
    verb = "would replay" if dry_run else "replayed"
    console.print(
        f"{report.selected} matching, {report.already_replayed} already replayed, "
        f"{verb} {report.replayed} to {to.value}."
    )
    if report.missing_ledger_topic is not None:
        console.print(
            f"The replay ledger topic {escape(report.missing_ledger_topic)} does not exist, so "
            "this dry run read it as empty. A real replay needs it: create it with `keybus "
            "topics apply --subscriptions FILE` (the consumer group's subscriptions file), or "
            "as a compacted topic with `cleanup.policy=compact`."
        )
