"""`keybus run`: run a topology's Faust workers in the foreground (or detached)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Annotated

import typer
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from keybus.cli.console import console, fail
from keybus.cluster import keybus_home
from keybus.cluster.process import log_tail
from keybus.errors import ConfigurationError, KeybusError
from keybus.kafka import check_brokers
from keybus.settings import ConnectionSettings
from keybus.streams.workers import WorkerGroup

__all__ = ["check_kafka", "processor_environment", "run", "worker_group"]

_METADATA_TIMEOUT_S = 30.0
"""Maximum wait for metadata from a broker that accepted a connection, in seconds."""


def worker_group(
    processor: str, topology: str, environment: dict[str, str] | None = None
) -> WorkerGroup:
    """Return the worker group of a processor, with its files under KEYBUS_HOME.

    The files are kept per processor, so two processors of one topology never see or
    stop each other's workers. `keybus run TOPOLOGY` is the processor named TOPOLOGY.
    """
    folder = keybus_home() / "processors" / processor
    return WorkerGroup(topology=topology, folder=folder, environment=environment or {})


def processor_environment(environment: dict[str, str] | None = None) -> dict[str, str]:
    """Return a processor's variables with its Kafka and registry addresses filled in.

    The processor's own variables win, then KEYBUS_BOOTSTRAP_SERVERS and
    KEYBUS_REGISTRY_URL of this process, then the local east region's ports.
    """
    connection = ConnectionSettings()
    return {
        "KEYBUS_BOOTSTRAP_SERVERS": connection.bootstrap_servers,
        "KEYBUS_REGISTRY_URL": connection.registry_url,
        **(environment or {}),
    }


def check_kafka(
    environment: dict[str, str], processor: str, *, setting: str = "KEYBUS_BOOTSTRAP_SERVERS"
) -> None:
    """Raise with the setting to change when the processor's Kafka does not respond.

    Raises:
        BrokerUnavailableError: no bootstrap server accepted a connection.
        ConfigurationError: a broker accepted a connection but returned no metadata.
    """
    servers = environment["KEYBUS_BOOTSTRAP_SERVERS"]
    check_brokers(servers, setting=setting)
    admin = AdminClient({"bootstrap.servers": servers, "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=_METADATA_TIMEOUT_S)
    except KafkaException as exc:
        raise ConfigurationError(
            f"Kafka at {servers} accepted a connection but returned no metadata within "
            f"{_METADATA_TIMEOUT_S:.0f} s, so no worker of {processor} was started. Check "
            f"the broker's log, or set {setting} to the Kafka to use."
        ) from exc
    if not metadata.brokers:
        raise ConfigurationError(f"Kafka at {servers} returned no brokers; check that it runs.")


def run(
    topology: Annotated[str, typer.Argument(help="Topology module in topologies/, e.g. router.")],
    workers: Annotated[int, typer.Option(min=1, help="Worker processes to run.")] = 1,
    detach: Annotated[
        bool,
        typer.Option(help="Start the workers and return; stop them with `keybus deploy down`."),
    ] = False,
) -> None:
    """Run N workers of a topology; they share its consumer group and its partitions."""
    environment = processor_environment()
    group = worker_group(topology, topology, environment)
    try:
        check_kafka(environment, topology)
        pids = group.start(workers)
        group.wait_healthy(workers, seconds=3.0)
    except KeybusError as exc:
        group.stop()
        fail(exc)
    console.print(
        f"{topology}: Kafka at {environment['KEYBUS_BOOTSTRAP_SERVERS']}, "
        f"registry at {environment['KEYBUS_REGISTRY_URL']}"
    )
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
