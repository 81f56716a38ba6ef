"""`keybus dev`: start, inspect and stop the local regions."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from keybus.cli import mirror as mirror_cli
from keybus.cli.console import console, error_console, fail
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
from keybus.registry.server.local import LocalRegistry, region_registry
from keybus.settings import DevSettings

__all__ = ["app", "check_up_ports", "parse_regions"]

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
        topology = mirror_topology(mirror) if mirror is not None else None
        if topology is not None:
            mirror_cli.check_dev_mirror(topology, names)
        clusters = [region_cluster(name) for name in names]
        registries = [region_registry(name) for name in names]
        check_up_ports(clusters, registries)
        _start_all(clusters, registries, topology)
    except KeybusError as exc:
        fail(exc)
    for cluster, registry in zip(clusters, registries, strict=True):
        console.print(
            f"[green]up[/] {cluster.name}: Kafka at {cluster.bootstrap_servers}, "
            f"registry at {registry.url}"
        )


def check_up_ports(clusters: list[LocalKafka], registries: list[LocalRegistry]) -> None:
    """Raise unless every process `dev up` needs can run on its configured port.

    A running process must run on its configured port, and a stopped one needs a free
    port that no other process of this `dev up` is about to take.

    Raises:
        ConfigurationError: two stopped processes are set to the same port.
        ClusterPortMismatchError, RegistryPortMismatchError: a running process uses
            another port than its setting.
        PortInUseError, RegistryPortInUseError: another process listens on a port.
    """
    assigned: dict[int, str] = {}
    for port, variable in _ports_to_bind(clusters, registries):
        if port in assigned:
            raise ConfigurationError(
                f"Port {port} is set both by {assigned[port]} and by {variable}, but each "
                "process needs a port of its own. Set one of them to another free port."
            )
        assigned[port] = variable
    for cluster, registry in zip(clusters, registries, strict=True):
        cluster.check_ports()
        registry.check_port()


def _ports_to_bind(
    clusters: list[LocalKafka], registries: list[LocalRegistry]
) -> list[tuple[int, str]]:
    """Return the ports that the stopped processes will listen on, with their variables."""
    ports = []
    for cluster, registry in zip(clusters, registries, strict=True):
        prefix = f"KEYBUS_{cluster.name.upper()}"
        if not cluster.is_running():
            ports.append((cluster.port, f"{prefix}_KAFKA_PORT"))
            ports.append((cluster.controller_port, f"{prefix}_CONTROLLER_PORT"))
        if registry.pid() is None:
            ports.append((registry.port, f"{prefix}_REGISTRY_PORT"))
    return ports


def _start_all(
    clusters: list[LocalKafka], registries: list[LocalRegistry], topology: str | None
) -> None:
    """Start each region's Kafka and registry, then MirrorMaker when `topology` is set.

    When a step fails, the Kafka and registry processes that this call started are
    stopped again. A failed MirrorMaker stops itself.
    """
    started: list[LocalKafka | LocalRegistry] = []
    started_pids: list[int | None] = []
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            for cluster, registry in zip(clusters, registries, strict=True):
                if _start(progress, cluster):
                    started.append(cluster)
                    started_pids.append(cluster.pid())
                if _start_registry(progress, registry):
                    started.append(registry)
                    started_pids.append(registry.pid())
        if topology is not None:
            mirror_cli.start_dev_mirror(topology, [cluster.name for cluster in clusters])
    except BaseException:
        for process, pid in reversed(list(zip(started, started_pids, strict=True))):
            _stop_started(process, pid)
        raise


def _stop_started(process: LocalKafka | LocalRegistry, pid: int | None) -> None:
    """Stop a process that this `dev up` started, unless its pid file names another one."""
    if pid is None or process.pid() != pid:
        return
    process.stop()
    kind = "Kafka" if isinstance(process, LocalKafka) else "registry"
    error_console.print(
        f"[yellow]stopped[/] {process.name} {kind} (pid {pid}), started by this command"
    )


def _start_registry(progress: Progress, registry: LocalRegistry) -> bool:
    task = progress.add_task(f"{registry.name}: starting the schema registry", total=None)
    started = registry.start()
    outcome = "started" if started else "already running"
    progress.update(task, description=f"{registry.name}: registry {outcome}", total=1, completed=1)
    return started


def _start(progress: Progress, cluster: LocalKafka) -> bool:
    task = progress.add_task(f"{cluster.name}: checking", total=None)

    def show(message: str) -> None:
        progress.update(task, description=f"{cluster.name}: {message}")

    started = cluster.start(on_progress=show)
    outcome = "started" if started else "already running"
    progress.update(task, description=f"{cluster.name}: Kafka {outcome}", total=1, completed=1)
    return started


@app.command()
def status() -> None:
    """Show each local region and MirrorMaker: running or not, pid, address and log.

    The address of a running process is the one it uses, read from its server.properties
    or command line. A note follows the table when a port setting differs from it.
    """
    table = Table("region", "state", "pid", "bootstrap servers", "registry", "log")
    notes: list[str] = []
    for name in known_regions():
        cluster = region_cluster(name)
        if not cluster.folder.exists():
            table.add_row(name, "[dim]never started[/]", "", cluster.bootstrap_servers, "", "")
            continue
        state = cluster.status()
        shown = "[green]running[/]" if state.running else "[yellow]stopped[/]"
        table.add_row(
            name,
            shown,
            str(state.pid or ""),
            _kafka_address(cluster, notes),
            _registry_address(region_registry(name), notes),
            str(state.log_path),
        )
    console.print(table)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True)
    _print_mirror_status()
    console.print(f"state folder: {keybus_home()}")


def _kafka_address(cluster: LocalKafka, notes: list[str]) -> str:
    """Return the address of a region's Kafka cell, adding a note on a port mismatch."""
    running = cluster.running_ports()
    if running is None:
        return cluster.bootstrap_servers
    address = f"127.0.0.1:{running[0]}"
    prefix = f"KEYBUS_{cluster.name.upper()}"
    differing = [
        _setting_text(f"{prefix}_{suffix}", configured)
        for suffix, actual, configured in (
            ("KAFKA_PORT", running[0], cluster.port),
            ("CONTROLLER_PORT", running[1], cluster.controller_port),
        )
        if actual != configured
    ]
    if not differing:
        return address
    notes.append(
        f"{cluster.name} Kafka runs on {address} (controller port {running[1]}), but "
        f"{' and '.join(differing)}. Commands that use these settings connect to the wrong "
        "port. Set the variables to the running ports, or run "
        f"`keybus dev down --regions {cluster.name}` and `keybus dev up --regions "
        f"{cluster.name}` to move it."
    )
    return f"{address} [yellow](setting: {cluster.port})[/]"


def _registry_address(registry: LocalRegistry, notes: list[str]) -> str:
    """Return the URL of a region's registry cell, adding a note on a port mismatch."""
    if registry.pid() is None:
        return "[yellow]stopped[/]"
    running_url = registry.running_url()
    if running_url is None or running_url == registry.url:
        return running_url or registry.url
    setting = _setting_text(f"KEYBUS_{registry.name.upper()}_REGISTRY_PORT", registry.port)
    notes.append(
        f"{registry.name} registry runs at {running_url}, but {setting}. Commands that use "
        "this setting connect to the wrong port. Set it to the running port, or run "
        f"`keybus dev down --regions {registry.name}` and `keybus dev up --regions "
        f"{registry.name}` to move it."
    )
    return f"{running_url} [yellow](setting: {registry.port})[/]"


def _setting_text(variable: str, value: int) -> str:
    """Return `VARIABLE=value sets port value`, or that the default applies when unset."""
    if variable in os.environ:
        return f"{variable}={os.environ[variable]} sets port {value}"
    return f"{variable} is unset, so its default port {value} applies"


def _print_mirror_status() -> None:
    """Print the MirrorMaker of `dev up --mirror` when it has a pid file."""
    mirror = mirror_cli.dev_mirror()
    if not mirror.pid_file.exists():
        return
    pid = mirror.pid()
    topology = mirror.running_topology() or "unknown topology"
    if pid is None:
        state = "[yellow]stopped[/] (its pid file names no running MirrorMaker)"
    else:
        state = f"[green]running[/], pid {pid}"
    console.print(f"MirrorMaker 2: {state}, {topology}, log {mirror.log_path}", soft_wrap=True)


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
