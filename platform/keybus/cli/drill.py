"""`keybus drill`: rehearse losing a region on throwaway local regions."""

from __future__ import annotations

import contextlib
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from keybus.cli.console import console, fail
from keybus.cluster import ClusterError, LocalKafka
from keybus.cluster.mirror import LocalMirrorMaker
from keybus.failover.drill import DRILL_MIRROR_SETTINGS, DrillPlan, DrillRegions, run_failover_drill
from keybus.failover.errors import FailoverError
from keybus.failover.regions import RegionEndpoint
from keybus.types import Region

__all__ = ["app"]

app = typer.Typer(help="Rehearse region failures.", no_args_is_help=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _throwaway_cluster(name: str, home: Path) -> LocalKafka:
    """Return a cluster on free ports that stops when this process dies."""
    return LocalKafka(
        name=name, port=_free_port(), controller_port=_free_port(), home=home, with_parent=True
    )


@contextlib.contextmanager
def _throwaway_regions(home: Path) -> Iterator[tuple[LocalKafka, LocalKafka, LocalMirrorMaker]]:
    east, west = (_throwaway_cluster(f"drill-{region}", home) for region in ("east", "west"))
    mirror = LocalMirrorMaker(
        name="drill",
        clusters={"east": east.bootstrap_servers, "west": west.bootstrap_servers},
        overrides=DRILL_MIRROR_SETTINGS,
        targets=("west",),
        home=home,
        with_parent=True,
    )
    try:
        for process in (east, west, mirror):
            with console.status(f"Starting {process.name}"):
                process.start()
        yield east, west, mirror
    finally:
        for process in (mirror, west, east):
            process.stop()


def _kill(cluster: LocalKafka) -> None:
    cluster.stop(kill=True)


def _restart(cluster: LocalKafka) -> None:
    cluster.start()


@app.command()
def failover(
    events: Annotated[int, typer.Option(min=10, help="Events to produce before failback.")] = 5000,
    failback: Annotated[
        bool, typer.Option(help="Restart east afterwards and fail back to it.")
    ] = True,
) -> None:
    """Kill east's broker mid-stream, resume in west, fail back, and print the report.

    Runs on its own east and west clusters and MirrorMaker (active-passive) on free
    loopback ports, so the regions of `keybus dev up` are left alone.
    """
    with tempfile.TemporaryDirectory(prefix="keybus-drill-") as folder:
        try:
            with _throwaway_regions(Path(folder)) as (east, west, _mirror):
                regions = DrillRegions(
                    primary=RegionEndpoint(Region("east"), east.bootstrap_servers),
                    standby=RegionEndpoint(Region("west"), west.bootstrap_servers),
                    kill_primary=lambda: _kill(east),
                    restart_primary=(lambda: _restart(east)) if failback else None,
                )
                with console.status(f"Running the drill with {events} events"):
                    report = run_failover_drill(regions, DrillPlan(events=events))
        except (ClusterError, FailoverError) as exc:
            fail(exc)
    console.print(report.render(), highlight=False)
