"""`keybus demo`: the main job, on a local region that it starts itself."""

from __future__ import annotations

import uuid
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
    NotifierTally,
    Outcome,
    RecipientNotifier,
    SimulationLog,
    collect,
    plan_locks,
    run_deliveries,
    simulate,
)
from keybus.demo.notifier import NOTIFICATIONS_TOPIC, NOTIFIER_POLICY
from keybus.errors import KeybusError
from keybus.routing import RuleSet, load_rules
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
    notifier: RecipientNotifier | None = None
    try:
        platform.start()
        run_id = uuid.uuid4().hex[:6]
        locks, unregistered = plan_locks(deliveries, run_id)
        notifier = RecipientNotifier(platform.bootstrap_servers, set(locks) - set(unregistered))
        notifier.start()
        console.print(
            f"Started the recipient notifier (retry tiers {_tiers()}, "
            f"{NOTIFIER_POLICY.max_attempts} attempts, then {notifier.dead_letter_topic})"
        )
        with (
            Producer(
                platform.bootstrap_servers, platform.registry.url, source="urn:keybus:demo"
            ) as producer,
            console.status(f"Simulating a day of {deliveries} deliveries"),
        ):
            log = simulate(
                producer,
                platform.bootstrap_servers,
                deliveries=deliveries,
                seed=seed,
                run_id=run_id,
            )
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
        notifications = _notifications(outcome, rules)
        with console.status("Waiting for the recipient notifier and its retries"):
            tally = notifier.wait_settled(notifications, timeout_s)
    except KeybusError as exc:
        _stop(platform, notifier, keep=keep)
        fail(exc)
    _stop(platform, notifier, keep=keep)
    _print_summary(log, outcome)
    _print_notifier(tally, notifications)
    _print_commands(commands, projections)
    if notifier.error is not None:
        fail(f"The recipient notifier stopped: {notifier.error}")
    if not outcome.is_complete(log) or not notifications <= tally.settled():
        fail(f"Some events were not accounted for within {timeout_s:.0f} s; see the table above.")


def _stop(platform: DemoPlatform, notifier: RecipientNotifier | None, *, keep: bool) -> None:
    if notifier is not None:
        notifier.stop()
    platform.stop(keep=keep)


def _tiers() -> str:
    return " and ".join(f"{delay:g} s" for delay in NOTIFIER_POLICY.tiers_s)


def _notifications(outcome: Outcome, rules: RuleSet) -> set[str]:
    """Return the ids of the events the router sent to the notification topic."""
    rule_names = {rule.name for rule in rules if NOTIFICATIONS_TOPIC in rule.targets}
    return set().union(*(outcome.routed.get(name, set()) for name in rule_names))


def _print_notifier(everything: NotifierTally, notifications: set[str]) -> None:
    # A region that ran the demo before also contains the notifications of earlier runs.
    tally = NotifierTally(
        {key: n for key, n in everything.delivered.items() if key in notifications},
        {key: why for key, why in everything.dead_letters.items() if key in notifications},
    )
    retried = tally.retried()
    after = Counter(attempt - 1 for attempt in retried.values())
    retries = ", ".join(
        f"{count} after {n} {'retry' if n == 1 else 'retries'}"
        for n, count in sorted(after.items())
    )
    reasons = Counter(tally.dead_letters.values())
    parked = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    console.print(
        f"Recipient notifier: {len(tally.delivered)} of {len(notifications)} notifications "
        f"delivered, {len(retried)} of them from a retry tier ({retries or 'none'}); "
        f"{len(tally.dead_letters)} in the dead letters ({parked or 'none'})."
    )
    console.print(
        f"Accounted for: {len(notifications & tally.settled())} of {len(notifications)} "
        "notifications delivered or in the dead letters with a reason."
    )


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
