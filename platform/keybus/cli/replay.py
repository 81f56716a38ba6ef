"""`keybus replay`: rebuild a projection from its streams, with a Rich progress bar."""

from __future__ import annotations

import importlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import KafkaException
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from keybus.cli.console import console, fail
from keybus.cli.options import BootstrapServersOption, RegistryOption, check_topic_option
from keybus.cli.paths import check_output_path, database_error
from keybus.errors import ConfigurationError, KeybusError, clause, counted
from keybus.kafka import check_brokers, unreachable_error
from keybus.registry.client import RegistryClient
from keybus.sourcing.projections import (
    Projection,
    ReplayPlan,
    ReplayResult,
    create_projection,
    replay_projection,
)

__all__ = ["DEFAULT_DATA_DIR", "parse_since", "replay", "replay_with_progress"]

DEFAULT_DATA_DIR = Path(".keybus/projections")


def parse_since(text: str) -> datetime | None:
    """Read `--from`: `beginning`, or an ISO 8601 time; a time without an offset is UTC."""
    if text.strip().lower() == "beginning":
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ConfigurationError(
            f"--from {text!r} is neither 'beginning' nor an ISO 8601 time. Use for example "
            "--from beginning or --from 2026-03-02T12:00:00Z."
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def replay_with_progress(
    projection: Projection,
    path: Path,
    *,
    bootstrap_servers: str,
    registry_url: str,
    since: datetime | None,
    topic_prefix: str = "",
) -> ReplayResult:
    """Replay a projection while a Rich progress bar counts the records read."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"replay {projection.name}", total=None)

        def planned(plan: ReplayPlan) -> None:
            progress.update(task, total=plan.records)

        return replay_projection(
            projection,
            path,
            bootstrap_servers=bootstrap_servers,
            registry=RegistryClient(registry_url),
            since=since,
            topic_prefix=topic_prefix,
            on_plan=planned,
            progress=lambda count: progress.advance(task, count),
        )


def replay(
    projection: Annotated[str, typer.Option("--projection", help="Registered projection name.")],
    since: Annotated[
        str,
        typer.Option(
            "--from",
            help="'beginning' rebuilds from scratch. An ISO 8601 time (UTC without an "
            "offset) keeps the database's rows and reads each partition again from its first "
            "record at or after the time, or from the database's position when that is "
            "earlier. Records the database includes already are applied again only to "
            "idempotent projections. Without a database, the time rebuilds from scratch.",
        ),
    ] = "beginning",
    database: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite file (default: .keybus/projections/NAME.sqlite)."),
    ] = None,
    *,
    bootstrap_servers: BootstrapServersOption,
    registry_url: RegistryOption,
    topic_prefix: Annotated[
        str, typer.Option(envvar="KEYBUS_TOPIC_PREFIX", help="Prefix of the stream topics.")
    ] = "",
    modules: Annotated[
        list[str] | None,
        typer.Option("--module", help="Import this module first; it may register projections."),
    ] = None,
) -> None:
    """Rebuild a projection from its event streams, like an archive replay.

    Stop the projection's live runner on the same file first.
    """
    try:
        for module in modules or []:
            importlib.import_module(module)
        chosen = create_projection(projection)
        moment = parse_since(since)
        if topic_prefix:
            check_topic_option(topic_prefix, "--topic-prefix or KEYBUS_TOPIC_PREFIX")
        path = database or DEFAULT_DATA_DIR / f"{projection}.sqlite"
        check_output_path(path, "--db", creates_folders=True)
        check_brokers(bootstrap_servers)
        result = replay_with_progress(
            chosen,
            path,
            bootstrap_servers=bootstrap_servers,
            registry_url=registry_url,
            since=moment,
            topic_prefix=topic_prefix,
        )
    except sqlite3.Error as exc:
        fail(database_error(path, "--db", exc))
    except (KeybusError, ImportError) as exc:
        fail(exc if isinstance(exc, KeybusError) else f"--module: {exc}")
    except KafkaException as exc:
        fail(
            unreachable_error(exc, bootstrap_servers)
            or f"Replay of {projection} failed in Kafka at {bootstrap_servers}: {clause(exc)}."
        )
    if result.rebuilt and moment is not None:
        console.print(
            f"No database at {result.path} to replay onto, so {projection} was rebuilt from "
            "the beginning of its streams."
        )
    console.print(_outcome(projection, chosen, result))


def _outcome(name: str, projection: Projection, result: ReplayResult) -> str:
    kind = "rebuilt" if result.rebuilt else "replayed"
    read = f"{counted(result.records_read, 'record')} read"
    if result.records_reread:
        again = "applied again" if projection.idempotent else "not applied again"
        read += f" ({result.records_reread} of them in the database already, {again})"
    return (
        f"{kind} {name} in {result.path}: {read}, "
        f"{counted(result.events_applied, 'event')} applied in total, "
        f"{result.skipped} skipped"
    )
