"""`keybus run`: run a topology's Faust workers in the foreground (or detached)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Annotated

import typer

from keybus.cli.console import console, fail
from keybus.cluster import keybus_home
from keybus.cluster.process import log_tail
from keybus.errors import KeybusError
from keybus.streams.workers import WorkerGroup

__all__ = ["app", "worker_group"]

app = typer.Typer(help="Run a stream processor from topologies/.")


def worker_group(topology: str, environment: dict[str, str] | None = None) -> WorkerGroup:
    """Return the worker group of a topology, with its files under KEYBUS_HOME."""
    folder = keybus_home() / "processors" / topology
    return WorkerGroup(topology=topology, folder=folder, environment=environment or {})


@app.callback(invoke_without_command=True)
def run(
    topology: Annotated[str, typer.Argument(help="Topology module in topologies/, e.g. router.")],
    workers: Annotated[int, typer.Option(min=1, help="Worker processes to run.")] = 1,
    detach: Annotated[
        bool,
        typer.Option(help="Start the workers and return; stop them with `keybus deploy down`."),
    ] = False,
) -> None:
    """Run N workers of a topology; they share its consumer group and its partitions."""
    group = worker_group(topology)
    try:
        pids = group.start(workers)
        group.wait_healthy(workers, seconds=3.0)
    except KeybusError as exc:
        group.stop()
        fail(exc)
    for index, pid in enumerate(pids):
        console.print(f"worker {index} of {topology}: pid {pid}, log {group.log_path(index)}")
    if detach:
        return
    _supervise(group, workers)


def _supervise(group: WorkerGroup, workers: int) -> None:
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    console.print("Press Ctrl-C to stop the workers.")
    reported: set[int] = set()
    while not stopping:
        time.sleep(0.5)
        for index in range(workers):
            if group.pid(index) is None and index not in reported:
                reported.add(index)
                console.print(
                    f"[yellow]worker {index} exited[/]; its partitions move to the others. "
                    f"Log: {group.log_path(index)}"
                )
        if len(reported) == workers:
            last = group.log_path(workers - 1)
            fail(
                f"every worker of {group.topology} exited. Last lines of {last}:\n{log_tail(last)}"
            )
    stopped = group.stop()
    console.print(f"stopped {len(stopped)} worker(s) of {group.topology}")
