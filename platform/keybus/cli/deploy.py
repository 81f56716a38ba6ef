"""`keybus deploy`: run the processors of deploy/processors.yaml locally, or render them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from keybus.cli.console import console, fail
from keybus.cli.run import check_kafka, processor_environment, worker_group
from keybus.errors import KeybusError
from keybus.streams.deployments import check_settings, load_deployments, render_kubernetes

__all__ = ["app"]

app = typer.Typer(help="Run or render the stream processors declared in deploy/processors.yaml.")

FileOption = Annotated[Path, typer.Option("--file", "-f", help="Processors file.", dir_okay=False)]
DEFAULT_FILE = Path("deploy/processors.yaml")


@app.command()
def up(file: FileOption = DEFAULT_FILE) -> None:
    """Start every processor's workers in the background (running ones are kept)."""
    try:
        deployments = load_deployments(file)
        check_settings(deployments, file)
        for processor in deployments.processors:
            environment = processor_environment(processor.env)
            setting = (
                f"KEYBUS_BOOTSTRAP_SERVERS (in this shell, or in the env of {processor.name} "
                f"in {file})"
            )
            check_kafka(environment, processor.name, setting=setting)
            group = worker_group(processor.name, processor.topology, environment)
            pids = group.start(processor.workers)
            group.wait_healthy(processor.workers, seconds=3.0)
            console.print(f"[green]up[/] {processor.name}: {len(pids)} worker(s), pids {pids}")
    except KeybusError as exc:
        fail(exc)


@app.command()
def down(file: FileOption = DEFAULT_FILE) -> None:
    """Stop every processor's workers."""
    try:
        deployments = load_deployments(file)
    except KeybusError as exc:
        fail(exc)
    for processor in deployments.processors:
        stopped = worker_group(processor.name, processor.topology).stop()
        console.print(f"stopped {processor.name}: {len(stopped)} worker(s)")


@app.command()
def status(file: FileOption = DEFAULT_FILE) -> None:
    """Show the running workers of each processor."""
    try:
        deployments = load_deployments(file)
    except KeybusError as exc:
        fail(exc)
    table = Table("processor", "topology", "wanted", "running", "pids")
    for processor in deployments.processors:
        running = worker_group(processor.name, processor.topology).running()
        pids = ", ".join(str(pid) for pid in running.values())
        table.add_row(
            processor.name, processor.topology, str(processor.workers), str(len(running)), pids
        )
    console.print(table)


@app.command()
def render(
    file: FileOption = DEFAULT_FILE,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option(
            help="Kafka as the pods reach it, host:port[,host:port]. Default: "
            "kubernetes.bootstrap_servers of the file. KEYBUS_BOOTSTRAP_SERVERS of this shell "
            "is not used.",
        ),
    ] = None,
    registry_url: Annotated[
        str | None,
        typer.Option(
            help="Schema registry base URL as the pods reach it. Default: "
            "kubernetes.registry_url of the file. KEYBUS_REGISTRY_URL of this shell is not used.",
        ),
    ] = None,
) -> None:
    """Print a Kubernetes Deployment per processor.

    Every container gets KEYBUS_BOOTSTRAP_SERVERS and KEYBUS_REGISTRY_URL from its
    processor's env, else these options, else the file's `kubernetes:` section. Without
    any of them the command fails, because the local default 127.0.0.1 is the pod itself.
    """
    try:
        deployments = load_deployments(file)
        check_settings(deployments, file)
        rendered = render_kubernetes(
            deployments, bootstrap_servers=bootstrap_servers, registry_url=registry_url
        )
        print(rendered, end="")
    except KeybusError as exc:
        fail(exc)
