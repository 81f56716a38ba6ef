"""Errors raised while fetching, starting and stopping local Kafka processes."""

from __future__ import annotations

from keybus.errors import KeybusError, clause
from keybus.settings import DEFAULT_REGION_PORTS

__all__ = [
    "BrokerStartError",
    "ClusterError",
    "ClusterPortMismatchError",
    "DistributionError",
    "PortInUseError",
    "ToolNotFoundError",
]


class ClusterError(KeybusError):
    """A local Kafka or MirrorMaker process could not be fetched, started or stopped."""


class ToolNotFoundError(ClusterError):
    """A program keybus needs to run Kafka, such as `java` or `mvn`, is not on PATH."""

    def __init__(self, tool: str, purpose: str, install_hint: str) -> None:
        super().__init__(
            f"Cannot {purpose}: the program '{tool}' was not found on PATH. {install_hint}"
        )
        self.tool = tool


class DistributionError(ClusterError):
    """Maven failed to resolve the Kafka jars."""


class PortInUseError(ClusterError):
    """A port a local cluster needs is already taken by another process.

    `holder` is the text ` by pid N (command line)` when the process is known, else "".
    """

    def __init__(self, cluster: str, port: int, role: str, holder: str = "") -> None:
        super().__init__(
            f"Cannot start Kafka cluster '{cluster}': {role} port {port} on 127.0.0.1 is "
            f"already in use{holder}. Stop the process listening on {port}, or choose other "
            f"ports for this cluster{_region_port_settings(cluster)}."
        )
        self.cluster = cluster
        self.port = port


class ClusterPortMismatchError(ClusterError):
    """A local cluster already runs, but on other ports than the ones requested now.

    `running` and `requested` are (broker port, controller port) pairs; `running` comes
    from the server.properties that the running broker was started with.
    """

    def __init__(
        self,
        cluster: str,
        pid: int,
        running: tuple[int, int],
        requested: tuple[int, int],
        properties_path: str,
    ) -> None:
        super().__init__(
            f"Kafka cluster '{cluster}' already runs as pid {pid} at 127.0.0.1:{running[0]} "
            f"(controller port {running[1]}, from {properties_path}), but "
            f"{_requested_ports(cluster, running, requested)}. {_mismatch_fix(cluster, running)}"
        )
        self.cluster = cluster
        self.pid = pid
        self.running = running
        self.requested = requested


def _requested_ports(cluster: str, running: tuple[int, int], requested: tuple[int, int]) -> str:
    """Return which requested ports differ from the running ones, and what set them."""
    names = ("KAFKA_PORT", "CONTROLLER_PORT") if cluster in DEFAULT_REGION_PORTS else None
    differences = []
    for index, role in enumerate(("broker", "controller")):
        if running[index] == requested[index]:
            continue
        source = f"KEYBUS_{cluster.upper()}_{names[index]}" if names else "the caller"
        differences.append(f"{source} sets {role} port {requested[index]}")
    return " and ".join(differences)


def _mismatch_fix(cluster: str, running: tuple[int, int]) -> str:
    """Return the ways to resolve a port mismatch of a running cluster."""
    if cluster not in DEFAULT_REGION_PORTS:
        return "Use the running ports, or stop the cluster first to start it on the new ones."
    prefix = f"KEYBUS_{cluster.upper()}"
    if running == DEFAULT_REGION_PORTS[cluster][:2]:
        use = f"unset {prefix}_KAFKA_PORT and {prefix}_CONTROLLER_PORT"
    else:
        use = f"set {prefix}_KAFKA_PORT={running[0]} and {prefix}_CONTROLLER_PORT={running[1]}"
    return (
        f"To use the running cluster, {use}. To move it to the new ports, run "
        f"`keybus dev down --regions {cluster}` first."
    )


def _region_port_settings(cluster: str) -> str:
    """Return the settings that move a local region's ports, or "" for other clusters."""
    if cluster not in DEFAULT_REGION_PORTS:
        return ""
    prefix = f"KEYBUS_{cluster.upper()}"
    return f" with {prefix}_KAFKA_PORT and {prefix}_CONTROLLER_PORT"


class BrokerStartError(ClusterError):
    """The broker process exited or did not respond to metadata requests in time."""

    def __init__(self, cluster: str, reason: str, log_path: str, log_tail: str) -> None:
        super().__init__(
            f"Kafka cluster '{cluster}' failed to start: {clause(reason)}. "
            f"Last lines of {log_path}:\n{log_tail}"
        )
        self.cluster = cluster
        self.log_path = log_path
        self.retryable = True
