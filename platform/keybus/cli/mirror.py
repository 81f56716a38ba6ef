"""`keybus mirror`: replication lag, checkpoints and parity between two regions."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from confluent_kafka import KafkaException
from rich.table import Table

from keybus.cli.console import console, fail
from keybus.cluster.mirror import TOPOLOGIES, LocalMirrorMaker
from keybus.cluster.regions import region_cluster
from keybus.errors import ConfigurationError
from keybus.failover.errors import FailoverError
from keybus.failover.lag import topic_lags
from keybus.failover.parity import Difference, compare_subjects, compare_topics, group_checkpoints
from keybus.kafka import BrokerUnavailableError, check_brokers
from keybus.registry.server.local import region_registry
from keybus.settings import region_settings

__all__ = ["app", "check_dev_mirror", "dev_mirror", "start_dev_mirror", "stop_dev_mirror"]

app = typer.Typer(help="Inspect MirrorMaker 2 replication between regions.", no_args_is_help=True)

SourceOption = Annotated[str, typer.Option(help="Region MirrorMaker copies from.")]
TargetOption = Annotated[str, typer.Option(help="Region MirrorMaker copies to.")]
ServersOption = Annotated[
    str | None,
    typer.Option(help="bootstrap.servers of that region; default: its local dev port."),
]
TopologyOption = Annotated[
    str, typer.Option(help=f"MirrorMaker topology: {' or '.join(TOPOLOGIES)}.")
]


def dev_mirror(
    topology: str = "active-passive", clusters: dict[str, str] | None = None
) -> LocalMirrorMaker:
    """Return the MirrorMaker of `keybus dev up --mirror`, in its fixed folder."""
    return LocalMirrorMaker(name="dev", clusters=clusters or {}, topology=topology)


def check_dev_mirror(topology: str, regions: list[str]) -> None:
    """Raise unless `keybus dev up --mirror` can run `topology` between `regions`."""
    if len(regions) < 2:
        raise ConfigurationError(
            f"--mirror {topology} needs two regions, got {', '.join(regions)}. "
            "Add --regions east,west."
        )
    mirror = dev_mirror()
    pid = mirror.pid()
    running_topology = mirror.running_topology()
    if pid is not None and running_topology not in (None, topology):
        raise ConfigurationError(
            f"MirrorMaker 2 already runs as pid {pid} with topology {running_topology}, "
            f"but --mirror asks for {topology}. Run `keybus dev down` first to change the "
            f"topology, or pass --mirror {running_topology}."
        )


def start_dev_mirror(topology: str, regions: list[str]) -> None:
    """Start MirrorMaker between the local regions of `keybus dev up --mirror`.

    Active-passive copies the first region to the others and sets their registries to
    READONLY, so they serve the mirrored `_schemas` with the first region's schema ids.
    When that fails, the MirrorMaker started by this call is stopped again.
    """
    check_dev_mirror(topology, regions)
    clusters = {region: region_cluster(region).bootstrap_servers for region in regions}
    mirror = dev_mirror(topology, clusters)
    if topology == "active-passive":
        mirror.targets = tuple(regions[1:])
    with console.status(f"Starting MirrorMaker 2 ({topology})"):
        started = mirror.start()
    pid = mirror.pid()
    try:
        if topology == "active-passive":
            for region in regions[1:]:
                _set_read_only(region_registry(region).url)
    except BaseException:
        if started and pid is not None and mirror.pid() == pid:
            mirror.stop()
        raise
    outcome = "started" if started else "already running"
    console.print(f"[green]up[/] MirrorMaker 2 {topology} {outcome}, log {mirror.log_path}")


def _set_read_only(registry_url: str) -> None:
    response = httpx.put(f"{registry_url}/mode", json={"mode": "READONLY"}, timeout=10.0)
    if response.status_code != 200:
        raise ConfigurationError(
            f"Setting READONLY mode on the registry at {registry_url} failed with HTTP "
            f"{response.status_code}: {response.text}. Check the registry log."
        )


def stop_dev_mirror() -> bool:
    """Stop the MirrorMaker of `keybus dev up --mirror`; False when none was running."""
    return dev_mirror().stop()


def _servers(region: str, given: str | None) -> str:
    return given or region_cluster(region).bootstrap_servers


def _require_kafka(source: str, source_servers: str, target: str, target_servers: str) -> None:
    """Exit with the option to change unless both regions' Kafka accept a connection."""
    try:
        for region, servers, option in (
            (source, source_servers, "--source-servers"),
            (target, target_servers, "--target-servers"),
        ):
            setting = f"{option} (or KEYBUS_{region.upper()}_KAFKA_PORT for the local region)"
            check_brokers(servers, setting=setting)
    except (BrokerUnavailableError, ConfigurationError) as exc:
        fail(exc)


@app.command()
def status(
    *,
    source: SourceOption = "east",
    target: TargetOption = "west",
    source_servers: ServersOption = None,
    target_servers: ServersOption = None,
    topology: TopologyOption = "active-passive",
) -> None:
    """Show the replication lag per topic and the newest checkpoint per consumer group.

    The lag counts the committed source records that MirrorMaker has not copied yet,
    from its offset syncs. Transaction markers and aborted records, which take offsets
    but are never copied, do not count, so the end offsets may differ at lag 0.
    """
    source_bootstrap = _servers(source, source_servers)
    target_bootstrap = _servers(target, target_servers)
    _require_kafka(source, source_bootstrap, target, target_bootstrap)
    try:
        lags = topic_lags(source_bootstrap, target_bootstrap, source, target, topology)
        checkpoints = group_checkpoints(target_bootstrap, source)
    except (KafkaException, FailoverError) as exc:
        fail(f"Cannot read replication state of {source} -> {target}: {exc}")
    lag_table = Table("topic", f"copy in {target}", f"end in {source}", f"end in {target}", "lag")
    for lag in lags:
        shown = "[red]missing[/]" if lag.lag is None else str(lag.lag)
        target_end = "-" if lag.target_end is None else str(lag.target_end)
        lag_table.add_row(lag.topic, lag.target_topic, str(lag.source_end), target_end, shown)
    console.print(lag_table)
    group_table = Table("consumer group", "partitions", "last checkpoint")
    for group in checkpoints:
        age = "-" if group.age_s is None else f"{group.age_s:.1f} s ago"
        group_table.add_row(group.group, str(group.partitions), age)
    console.print(group_table)


@app.command()
def check(
    *,
    source: SourceOption = "east",
    target: TargetOption = "west",
    source_servers: ServersOption = None,
    target_servers: ServersOption = None,
    source_registry: Annotated[
        str | None, typer.Option(help="Registry URL of the source; default: its local port.")
    ] = None,
    target_registry: Annotated[
        str | None, typer.Option(help="Registry URL of the target; default: its local port.")
    ] = None,
    topology: TopologyOption = "active-passive",
    skip_registry: Annotated[bool, typer.Option(help="Compare topics only.")] = False,
) -> None:
    """Compare topics, partition counts, topic configs and registry subjects.

    Exits with status 1 when the target differs from the source.
    """
    source_bootstrap = _servers(source, source_servers)
    target_bootstrap = _servers(target, target_servers)
    _require_kafka(source, source_bootstrap, target, target_bootstrap)
    try:
        differences = compare_topics(source_bootstrap, target_bootstrap, source, target, topology)
        if not skip_registry:
            differences += compare_subjects(
                source_registry or _registry_url(source), target_registry or _registry_url(target)
            )
    except (KafkaException, FailoverError, OSError) as exc:
        fail(f"Cannot compare {source} with {target}: {exc}")
    except httpx.HTTPError as exc:
        fail(
            f"Cannot compare the subjects of {source} with {target}: the registry request "
            f"to {exc.request.url} failed ({type(exc).__name__}: {exc}). Start the "
            "registries (`keybus dev up --regions east,west`), pass --source-registry and "
            "--target-registry, or compare topics only with --skip-registry."
        )
    _print_differences(differences, source, target)
    if differences:
        raise typer.Exit(1)


def _registry_url(region: str) -> str:
    return f"http://127.0.0.1:{region_settings(region).registry_port}"


def _print_differences(differences: list[Difference], source: str, target: str) -> None:
    if not differences:
        console.print(f"[green]{target} matches {source}[/]: topics, partitions, configs, subjects")
        return
    table = Table("difference", "name", source, target)
    for difference in differences:
        table.add_row(difference.kind, difference.name, difference.source, difference.target)
    console.print(table)
