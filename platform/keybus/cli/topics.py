"""`keybus topics`: plan and apply declarative topic specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import KafkaException
from rich.markup import escape

from keybus.cli.console import console, fail
from keybus.cli.options import BootstrapServersOption
from keybus.errors import clause
from keybus.kafka import AdminClient, BrokerUnavailableError, check_brokers
from keybus.retry.errors import RetryConfigError
from keybus.retry.subscription import Subscription, load_subscriptions, subscription_topic_specs
from keybus.topics import (
    TopicChange,
    TopicPlanError,
    TopicSpecError,
    apply_plan,
    describe_live,
    load_topics,
    plan,
)
from keybus.topics.spec import TopicSpec

__all__ = ["app"]

app = typer.Typer(help="Plan and apply the topics declared in deploy/topics.yaml.")

FileOption = Annotated[
    Path, typer.Option("--file", "-f", help="Topics file to read.", dir_okay=False)
]
SubscriptionsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--subscriptions",
        "-s",
        help="Subscriptions file; adds the retry, dead-letter and ledger topics it needs.",
        dir_okay=False,
    ),
]


def _with_subscriptions(
    specs: list[TopicSpec], admin: AdminClient, subscriptions: list[Subscription]
) -> list[TopicSpec]:
    if not subscriptions:
        return specs
    partitions = {spec.name: spec.partitions for spec in specs}
    for name, meta in admin.list_topics(timeout=30).topics.items():
        partitions.setdefault(name, len(meta.partitions))
    declared = {spec.name for spec in specs}
    extra = subscription_topic_specs(subscriptions, partitions)
    return specs + [spec for spec in extra if spec.name not in declared]


def _compute(
    file: Path, bootstrap_servers: str, subscriptions: list[Path] | None = None
) -> tuple[AdminClient, list[TopicChange]]:
    # The files are read first, so that a mistake in them is reported without Kafka.
    specs = load_topics(file)
    parsed_subscriptions = [
        item for path in subscriptions or [] for item in load_subscriptions(path)
    ]
    check_brokers(bootstrap_servers)
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    try:
        specs = _with_subscriptions(specs, admin, parsed_subscriptions)
        live = describe_live(admin, [spec.name for spec in specs])
    except KafkaException as exc:
        raise TopicPlanError(
            f"Cannot read topics from Kafka at {bootstrap_servers}: {clause(exc)}. "
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
    *,
    bootstrap_servers: BootstrapServersOption,
    subscriptions: SubscriptionsOption = None,
) -> None:
    """Print what `apply` would change; exit 2 when something would change."""
    try:
        _admin, changes = _compute(file, bootstrap_servers, subscriptions)
    except (TopicSpecError, TopicPlanError, RetryConfigError, BrokerUnavailableError) as exc:
        fail(exc)
    if _print(changes):
        raise typer.Exit(2)


@app.command("apply")
def apply_command(
    file: FileOption = Path("deploy/topics.yaml"),
    *,
    bootstrap_servers: BootstrapServersOption,
    subscriptions: SubscriptionsOption = None,
) -> None:
    """Create, grow and reconfigure topics to match the file and the subscriptions."""
    try:
        admin, changes = _compute(file, bootstrap_servers, subscriptions)
        _print(changes)
        apply_plan(admin, [change for change in changes if not change.is_empty])
    except (TopicSpecError, TopicPlanError, RetryConfigError, BrokerUnavailableError) as exc:
        fail(exc)
    console.print("[green]applied[/]")
