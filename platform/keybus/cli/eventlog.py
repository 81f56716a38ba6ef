"""`keybus event-log`: rebuild the event-log projection from its topic, show and serve it."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from confluent_kafka import KafkaException
from rich.markup import escape
from rich.table import Table

from keybus.cli.console import console, error_console, fail
from keybus.cli.options import BootstrapServersOption, RegistryOption, check_topic_option
from keybus.cli.paths import check_output_path, database_error
from keybus.cluster.process import holder_text, is_port_free
from keybus.errors import KeybusError, clause, counted
from keybus.importer.http import projection_app
from keybus.importer.projections import PROJECTION_NAME, EventLogProjection
from keybus.importer.replay import Start, replay_projection
from keybus.kafka import check_brokers, unreachable_error

__all__ = ["app"]

app = typer.Typer(
    help="Read models of imported event logs: rebuild them from their topic and serve them.",
    no_args_is_help=True,
)

_SHOWN_ACTIVITIES = 10


@app.command()
def replay(
    topic: Annotated[str, typer.Option(help="Topic the projection reads.")],
    db: Annotated[Path, typer.Option(help="SQLite file of the projection.")],
    *,
    projection: Annotated[
        str, typer.Option(help="Projection to build: event-log.")
    ] = PROJECTION_NAME,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="'beginning' rebuilds from scratch. An ISO 8601 time (UTC without an "
            "offset) keeps the figures and reads each partition again from its first record "
            "at or after the time, or from the stored position when that is earlier. "
            "Records the figures include already are not applied again. Default: continue "
            "where the projection stopped.",
        ),
    ] = None,
    bootstrap_servers: BootstrapServersOption,
    registry: RegistryOption,
    serve: Annotated[
        bool, typer.Option(help="After catching up, serve it over HTTP and keep following.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8095,
) -> None:
    """Rebuild the projection, print its summary, and serve it when --serve is given."""
    if projection != PROJECTION_NAME:
        fail(f"Projection {projection!r} is unknown. Available: {PROJECTION_NAME}.")
    if serve:
        _check_port(host, port)
    moment = _start(start)
    try:
        check_topic_option(topic, "--topic")
        check_output_path(db, "--db")
        check_brokers(bootstrap_servers)
        model = EventLogProjection(db)
        stats = replay_projection(
            model,
            bootstrap_servers=bootstrap_servers,
            registry_url=registry,
            topic=topic,
            start=moment,
        )
    except sqlite3.Error as exc:
        fail(database_error(db, "--db", exc))
    except KafkaException as exc:
        fail(
            unreachable_error(exc, bootstrap_servers)
            or f"Replay of {topic} failed in Kafka at {bootstrap_servers}: {clause(exc)}."
        )
    except (KeybusError, TimeoutError) as exc:
        fail(exc if isinstance(exc, KeybusError) else str(exc))
    reasons = ", ".join(f"{reason}: {count}" for reason, count in stats.skipped_by_reason.items())
    skipped = f"skipped {counted(stats.skipped, 'record')}" + (f" ({reasons})" if reasons else "")
    reread = f" ({stats.reread} read again but included already)" if stats.reread else ""
    console.print(f"applied {counted(stats.applied, 'event')}{reread}, {escape(skipped)}")
    print_summary(model)
    if serve:
        _serve(
            model,
            bootstrap_servers=bootstrap_servers,
            registry=registry,
            topic=topic,
            host=host,
            port=port,
        )
    model.close()


def _check_port(host: str, port: int) -> None:
    """Exit with the holder and the option to change when the serving port is taken."""
    if is_port_free(port, host):
        return
    holder = holder_text(port)
    fail(
        f"Cannot serve on {host}:{port}: the port is already in use{holder}. Stop that "
        "process or pass another --port.",
        exit_code=3,
    )


def _start(text: str | None) -> Start:
    if text is None:
        return "stored"
    if text == "beginning":
        return "beginning"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"--from {text!r} is neither 'beginning' nor an ISO 8601 time such as "
            "2026-12-04T16:00:00+00:00."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def print_summary(model: EventLogProjection) -> None:
    """Print the projection's totals and its most frequent activities."""
    summary = model.summary()
    console.print(
        f"{summary['cases']} cases, {summary['events']} events, "
        f"{summary['activities']} activities; median case duration "
        f"{_duration(summary['median_case_duration_ms'])}, max "
        f"{_duration(summary['max_case_duration_ms'])}"
    )
    table = Table("activity", "events", "cases", "median time to next")
    for figures in model.activities()[:_SHOWN_ACTIVITIES]:
        table.add_row(
            escape(figures["activity"]),
            str(figures["events"]),
            str(figures["cases"]),
            _duration(figures["median_ms_to_next"]),
        )
    console.print(table)


def _duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return "-"
    seconds = milliseconds / 1000
    if seconds < 3600:
        return f"{seconds:.0f} s"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def _serve(
    model: EventLogProjection,
    *,
    bootstrap_servers: str,
    registry: str,
    topic: str,
    host: str,
    port: int,
) -> None:
    # The port was free before the replay, which can take minutes, so check it again.
    _check_port(host, port)
    stop = threading.Event()
    follower_model = EventLogProjection(model.path)
    follower = threading.Thread(
        target=_follow,
        kwargs={
            "projection": follower_model,
            "bootstrap_servers": bootstrap_servers,
            "registry_url": registry,
            "topic": topic,
            "stop": stop,
        },
        name="keybus-projection-follow",
        daemon=True,
    )
    follower.start()
    console.print(f"serving http://{host}:{port}/projections/{PROJECTION_NAME}/summary")
    try:
        uvicorn.run(projection_app(model), host=host, port=port, log_level="warning")
    finally:
        stop.set()
        follower.join(timeout=10.0)
        follower_model.close()


def _follow(
    *,
    projection: EventLogProjection,
    bootstrap_servers: str,
    registry_url: str,
    topic: str,
    stop: threading.Event,
) -> None:
    """Follow `topic` until `stop` is set; report a failure instead of raising in the thread."""
    try:
        replay_projection(
            projection,
            bootstrap_servers=bootstrap_servers,
            registry_url=registry_url,
            topic=topic,
            stop=stop,
        )
    except (KeybusError, KafkaException, TimeoutError, sqlite3.Error) as exc:
        error_console.print(
            f"[bold red]error:[/] following {escape(topic)} stopped: "
            f"{escape(clause(exc))}. The server keeps serving the projection as it was; "
            "restart the command once Kafka is reachable again.",
            highlight=False,
            soft_wrap=True,
        )
