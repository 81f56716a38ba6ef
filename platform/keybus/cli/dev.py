"""`keybus dev`: start, inspect and stop the local regions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from keybus.cli import mirror as mirror_cli
from keybus.cli.console import console, fail
from keybus.cluster import (
    ClusterError,
    KafkaDistribution,
    LocalKafka,
    keybus_home,
    known_regions,
    region_cluster,
)
from keybus.cluster.mirror import mirror_topology
from keybus.errors import ConfigurationError, KeybusError
from keybus.registry.server.local import region_registry
from keybus.settings import DevSettings

__all__ = ["app", "parse_regions"]

app = typer.Typer(
    help="Run the local platform: Kafka and a schema registry per region.", no_args_is_help=True
)

RegionsOption = Annotated[
    str | None,
    typer.Option(
        "--regions",
        help="Comma-separated regions to start, for example east,west. "
        "Default: KEYBUS_REGIONS, else east.",
    ),
]
StopRegionsOption = Annotated[
    str | None,
    typer.Option(
        "--regions",
        help="Comma-separated regions to stop, for example west. Default: every known region, "
        "whatever KEYBUS_REGIONS says.",
    ),
]


def parse_regions(value: str | None) -> list[str]:
    """Split a --regions value and check every name."""
    raw = value if value is not None else DevSettings().regions
    regions = [name.strip() for name in raw.split(",") if name.strip()]
    if not regions:
        raise ConfigurationError("--regions is empty. Name at least one region, such as east.")
    unknown = [name for name in regions if name not in known_regions()]
    if unknown:
        raise ConfigurationError(
            f"Unknown region(s) {', '.join(unknown)} in --regions. "
            f"Known regions: {', '.join(known_regions())}."
        )
    return regions


MirrorOption = Annotated[
    str | None,
    typer.Option(
        "--mirror",
        help="Also run MirrorMaker 2 between the regions: active-passive (first region "
        "copied to the others) or active-active.",
    ),
]


@app.command()
def up(regions: RegionsOption = None, mirror: MirrorOption = None) -> None:
    """Start Kafka and a registry for each region; running ones are left as they are."""
    try:
        names = parse_regions(regions)
        clusters = [region_cluster(name) for name in names]
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            for cluster in clusters:
                _start(progress, cluster)
                _start_registry(progress, cluster.name)
        if mirror is not None:
            mirror_cli.start_dev_mirror(mirror_topology(mirror), names)
    except KeybusError as exc:
        fail(exc)
    for cluster in clusters:
        registry = region_registry(cluster.name)
        console.print(
            f"[green]up[/] {cluster.name}: Kafka at {cluster.bootstrap_servers}, "
            f"registry at {registry.url}"
        )


def _start_registry(progress: Progress, region: str) -> None:
    registry = region_registry(region)
    task = progress.add_task(f"{region}: starting the schema registry", total=None)
    started = registry.start()
    outcome = "started" if started else "already running"
    progress.update(task, description=f"{region}: registry {outcome}", total=1, completed=1)


def _start(progress: Progress, cluster: LocalKafka) -> None:
    task = progress.add_task(f"{cluster.name}: checking", total=None)

    def show(message: str) -> None:
        progress.update(task, description=f"{cluster.name}: {message}")

    started = cluster.start(on_progress=show)
    outcome = "started" if started else "already running"
    progress.update(task, description=f"{cluster.name}: Kafka {outcome}", total=1, completed=1)


@app.command()
def status() -> None:
    """Show each local region: Kafka running or not, its pid, address, registry and log."""
    table = Table("region", "state", "pid", "bootstrap servers", "registry", "log")
    for name in known_regions():
        cluster = region_cluster(name)
        if not cluster.folder.exists():
            table.add_row(name, "[dim]never started[/]", "", cluster.bootstrap_servers, "", "")
            continue
        state = cluster.status()
        shown = "[green]running[/]" if state.running else "[yellow]stopped[/]"
        registry = region_registry(name)
        registry_state = registry.url if registry.pid() is not None else "[yellow]stopped[/]"
        table.add_row(
            name,
            shown,
            str(state.pid or ""),
            state.bootstrap_servers,
            registry_state,
            str(state.log_path),
        )
    console.print(table)
    console.print(f"state folder: {keybus_home()}")


@app.command()
def down(regions: StopRegionsOption = None) -> None:
    """Stop the local regions (all known regions unless --regions is given)."""
    try:
        names = parse_regions(regions) if regions is not None else known_regions()
    except ConfigurationError as exc:
        fail(exc)
    if mirror_cli.stop_dev_mirror():
        console.print("[green]stopped[/] MirrorMaker 2")
    for name in names:
        if region_registry(name).stop():
            console.print(f"[green]stopped[/] {name} registry")
        cluster = region_cluster(name)
        if cluster.stop():
            console.print(f"[green]stopped[/] {name}")
        else:
            console.print(f"[dim]{name} was not running[/]")


@app.command()
def fetch() -> None:
    """Download the pinned Apache Kafka jars with Maven (nothing when already there)."""
    distribution = KafkaDistribution.default()
    try:
        with console.status(f"Fetching Apache Kafka {distribution.version} jars with Maven"):
            fetched = distribution.fetch()
    except ClusterError as exc:
        fail(exc)
    outcome = "fetched" if fetched else "already present"
    console.print(f"Apache Kafka {distribution.version} jars {outcome} in {distribution.libs}")
