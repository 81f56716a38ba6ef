"""`keybus topics`: plan and apply declarative topic specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from rich.markup import escape

from keybus.cli.console import console, fail
from keybus.topics import (
    TopicChange,
    TopicPlanError,
    TopicSpecError,
    apply_plan,
    describe_live,
    load_topics,
    plan,
)

__all__ = ["app"]

app = typer.Typer(help="Plan and apply the topics declared in deploy/topics.yaml.")

FileOption = Annotated[
    Path, typer.Option("--file", "-f", help="Topics file to read.", dir_okay=False)
]
ServersOption = Annotated[
    str,
    typer.Option(
        "--bootstrap-servers",
        "-b",
        envvar="KEYBUS_BOOTSTRAP_SERVERS",
        help="Kafka to compare with, as host:port[,host:port].",
    ),
]


def _compute(file: Path, bootstrap_servers: str) -> tuple[AdminClient, list[TopicChange]]:
    specs = load_topics(file)
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    try:
        live = describe_live(admin, [spec.name for spec in specs])
    except KafkaException as exc:
        raise TopicPlanError(
            f"Cannot read topics from Kafka at {bootstrap_servers}: {exc}. "
            "Start it with `keybus dev up` or pass --bootstrap-servers.",
            topic="*",
        ) from exc
    return admin, plan(specs, live)


def _print(changes: list[TopicChange]) -> int:
    pending = [change for change in changes if not change.is_empty]
    for change in pending:
        for line in change.describe():
            colour = {"+": "green", "~": "yellow", "-": "red"}[line[0]]
            console.print(f"[{colour}]{escape(line)}[/]", highlight=False, soft_wrap=True)
    unchanged = len(changes) - len(pending)
    console.print(f"{len(pending)} topic(s) to change, {unchanged} unchanged.")
    return len(pending)


@app.command("plan")
def plan_command(
    file: FileOption = Path("deploy/topics.yaml"),
    bootstrap_servers: ServersOption = "127.0.0.1:9092",
) -> None:
    """Print what `apply` would change; exit 2 when something would change."""
    try:
        _admin, changes = _compute(file, bootstrap_servers)
    except (TopicSpecError, TopicPlanError) as exc:
        fail(exc)
    if _print(changes):
        raise typer.Exit(2)


@app.command("apply")
def apply_command(
    file: FileOption = Path("deploy/topics.yaml"),
    bootstrap_servers: ServersOption = "127.0.0.1:9092",
) -> None:
    """Create, grow and reconfigure topics to match the file."""
    try:
        admin, changes = _compute(file, bootstrap_servers)
        _print(changes)
        apply_plan(admin, [change for change in changes if not change.is_empty])
    except (TopicSpecError, TopicPlanError) as exc:
        fail(exc)
    console.print("[green]applied[/]")
