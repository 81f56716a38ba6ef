"""`keybus demo`: the main job, on a local region that it starts itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from keybus.cli.console import console, fail
from keybus.client import Producer
from keybus.demo import (
    CommandLog,
    DemoPlatform,
    Outcome,
    SimulationLog,
    collect,
    run_deliveries,
    simulate,
)
from keybus.errors import KeybusError
from keybus.routing import load_rules
from keybus.sourcing import CommandBus
from keybus.sourcing.domain import ACCESS_GRANT, DELIVERY
from keybus.sourcing.projections import ProjectionService

__all__ = ["app"]

app = typer.Typer(help="Run the keybus demo: a simulated delivery day on a local platform.")


@app.callback(invoke_without_command=True)
def demo(
    deliveries: Annotated[
        int, typer.Option(min=1, help="Deliveries in the simulated day (about 2.1 events each).")
    ] = 400,
    seed: Annotated[int, typer.Option(help="Seed of the simulation's random choices.")] = 7,
    keep: Annotated[
        bool, typer.Option(help="Leave Kafka and the registry running afterwards.")
    ] = False,
    root: Annotated[Path, typer.Option(help="Repository root holding avro/ and deploy/.")] = Path(),
    timeout_s: Annotated[
        float, typer.Option(help="Maximum wait for the processors to finish, in seconds.")
    ] = 180.0,
) -> None:
    """Start the platform, simulate a delivery day, and account for every event."""
    platform = DemoPlatform(root=root.resolve(), report=console.print)
    try:
        platform.start()
        with (
            Producer(
                platform.bootstrap_servers, platform.registry.url, source="urn:keybus:demo"
            ) as producer,
            console.status(f"Simulating a day of {deliveries} deliveries"),
        ):
            log = simulate(producer, platform.bootstrap_servers, deliveries=deliveries, seed=seed)
            producer.flush()
        console.print(
            f"Published {len(log.device_events)} device events, {log.directory_entries} lock "
            f"directory entries and {len(log.broken)} broken records"
        )
        with (
            CommandBus(platform.bootstrap_servers, [DELIVERY, ACCESS_GRANT]) as bus,
            console.status(f"Sending the commands of {deliveries} deliveries"),
        ):
            commands = run_deliveries(bus, log.locks, deliveries=deliveries, seed=seed)
        projections = _project(platform)
        rules = load_rules(platform.root / "deploy" / "rules.yaml")
        with console.status("Waiting for the router and the enricher"):
            outcome = collect(
                platform.bootstrap_servers, platform.registry.url, rules, log, timeout_s
            )
    except KeybusError as exc:
        platform.stop(keep=keep)
        fail(exc)
    platform.stop(keep=keep)
    _print_summary(log, outcome)
    _print_commands(commands, projections)
    if not outcome.is_complete(log):
        fail(f"Some events were not accounted for within {timeout_s:.0f} s; see the table above.")


def _project(platform: DemoPlatform) -> dict[str, dict[str, int]]:
    """Build the delivery and site read models from the streams; return their row counts."""
    service = ProjectionService(
        ["delivery-status", "site-access"],
        data_dir=platform.workers[0].folder.parent / "projections",
        bootstrap_servers=platform.bootstrap_servers,
        registry_url=platform.registry.url,
    )
    with console.status("Building the projections"):
        service.start()
        service.wait_caught_up(timeout_s=120)
        counts = {name: runner.store.row_counts() for name, runner in service.runners.items()}
        service.stop()
    return counts


def _print_commands(commands: CommandLog, projections: dict[str, dict[str, int]]) -> None:
    table = Table("command", "sent", "accepted", title="Command handler")
    for name, sent in sorted(commands.sent.items()):
        table.add_row(name, str(sent), str(commands.accepted[name]))
    console.print(table)
    for key, count in sorted(commands.rejected.items()):
        console.print(f"Rejected {count} x {key}, for example: {commands.examples[key]}")
    for name, tables in projections.items():
        rows = ", ".join(f"{table_name}: {count} rows" for table_name, count in tables.items())
        console.print(f"Projection {name}: {rows}")
    console.print(
        "The projections are rebuilt from the whole streams, so they also count the events "
        "of earlier demo runs on this region (its data stays until you delete "
        "$KEYBUS_HOME/clusters/east)."
    )


def _print_summary(log: SimulationLog, outcome: Outcome) -> None:
    types = Counter(log.device_events.values())
    table = Table("event type", "published", title="Simulated device events")
    for name, count in sorted(types.items()):
        table.add_row(name, str(count))
    console.print(table)

    routes = Table("rule", "events routed", title="Router (deploy/rules.yaml)")
    for rule, ids in sorted(outcome.routed.items()):
        routes.add_row(rule, str(len(ids)))
    routes.add_row("(no rule matched: routing.unmatched)", str(len(outcome.unmatched)))
    console.print(routes)

    references = Counter(outcome.enriched.values())
    console.print(
        f"Enricher: {references['FOUND']} events joined with their lock's site and owner, "
        f"{references['MISSING']} marked MISSING (locks never entered in the directory: "
        f"{', '.join(log.unregistered_locks)})"
    )
    for record_id, reason in sorted(log.broken.items()):
        console.print(
            f"Dead letter: record {record_id} ({reason}) parked by the router as "
            f"{outcome.router_dead_letters.get(record_id, 'missing!')} and by the enricher as "
            f"{outcome.enricher_dead_letters.get(record_id, 'missing!')}"
        )
    console.print(
        f"Latency from publish to enriched event (locks in the directory): "
        f"p50 {outcome.median_ms():.0f} ms, "
        f"p90 {outcome.percentile_ms(0.9):.0f} ms, p99 {outcome.percentile_ms(0.99):.0f} ms "
        f"over {len(outcome.latencies_ms)} events"
    )
    accounted = len(set(log.device_events) & (outcome.routed_ids() | outcome.unmatched))
    console.print(
        f"Accounted for: {accounted} of {len(log.device_events)} device events routed or "
        f"counted as unmatched, {len(set(outcome.enriched) & set(log.device_events))} enriched, "
        f"{len(outcome.router_dead_letters)} of {len(log.broken)} broken records in the "
        "dead letters with a reason."
    )
