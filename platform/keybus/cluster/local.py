"""A named local Apache Kafka cluster: one KRaft process that is broker and controller."""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import NoReturn

from keybus.cluster.distribution import RESOURCES, KafkaDistribution, keybus_home
from keybus.cluster.errors import (
    BrokerStartError,
    ClusterPortMismatchError,
    PortInUseError,
    ToolNotFoundError,
)
from keybus.cluster.process import (
    holder_text,
    is_port_free,
    log_tail,
    pid_alive,
    read_pid,
    spawn,
    stop_pid,
)
from keybus.kafka import AdminClient

__all__ = ["ClusterStatus", "LocalKafka", "find_java", "read_listener_ports"]

logger = logging.getLogger(__name__)

_MAIN_CLASS = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"


def find_java() -> str:
    """Return the `java` executable from JAVA_HOME or PATH, or raise with the fix."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise ToolNotFoundError(
            "java",
            "run the Apache Kafka broker",
            "Install a Java 17 or newer runtime (for example `apt-get install "
            "openjdk-17-jre-headless`) or set JAVA_HOME to one.",
        )
    return java


def read_listener_ports(properties_path: Path) -> tuple[int, int] | None:
    """Return the (broker, controller) ports of a server.properties, or None if unreadable.

    The ports come from its `listeners` line, as the template writes it:
    `listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093`.
    """
    try:
        lines = properties_path.read_text().splitlines()
    except OSError:
        return None
    ports: dict[str, int] = {}
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() != "listeners":
            continue
        for listener in value.split(","):
            name, _, address = listener.strip().partition("://")
            port = address.rpartition(":")[2]
            if port.isdigit():
                ports[name] = int(port)
    if "PLAINTEXT" not in ports or "CONTROLLER" not in ports:
        return None
    return ports["PLAINTEXT"], ports["CONTROLLER"]


@dataclass(frozen=True)
class ClusterStatus:
    """The state of one local cluster, as `keybus dev status` shows it.

    `bootstrap_servers` is the address of the running broker, read from the
    server.properties it was started with. It differs from `configured_bootstrap_servers`
    when the cluster's port settings changed after the start.
    """

    name: str
    running: bool
    pid: int | None
    bootstrap_servers: str
    configured_bootstrap_servers: str
    data_dir: Path
    log_path: Path


@dataclass
class LocalKafka:
    """A Kafka process on 127.0.0.1 whose state lives in `<home>/clusters/<name>/`.

    The jars come from the shared cache (`KafkaDistribution.default()`, under
    KEYBUS_HOME) whatever `home` is, so throwaway clusters do not download again.

    Several clusters run side by side when each has its own name and ports. All files
    of a cluster (server.properties, data/, kafka.log, kafka.pid) stay in its folder,
    so `stop()` only ever signals the process that this cluster started. A throwaway
    cluster sets `with_parent`, so that its broker stops when the process that started
    it dies, even without running `stop()`.
    """

    name: str
    port: int = 9092
    controller_port: int = 9093
    home: Path = field(default_factory=keybus_home)
    heap_mb: int = 512
    extra_config: Mapping[str, str] = field(default_factory=dict)
    start_timeout_s: float = 90.0
    stop_timeout_s: float = 30.0
    distribution: KafkaDistribution | None = None
    with_parent: bool = False

    def __post_init__(self) -> None:
        if self.distribution is None:
            self.distribution = KafkaDistribution.default()

    @property
    def folder(self) -> Path:
        """Folder holding this cluster's configuration, data, log and pid file."""
        return self.home / "clusters" / self.name

    @property
    def data_dir(self) -> Path:
        """The broker's log.dirs."""
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        """The broker's standard output and log4j output."""
        return self.folder / "kafka.log"

    @property
    def pid_file(self) -> Path:
        """File holding the pid of the running broker."""
        return self.folder / "kafka.pid"

    @property
    def properties_path(self) -> Path:
        """The generated server.properties."""
        return self.folder / "server.properties"

    @property
    def bootstrap_servers(self) -> str:
        """The `bootstrap.servers` value for clients of this cluster."""
        return f"127.0.0.1:{self.port}"

    def pid(self) -> int | None:
        """Return the pid of this cluster's running broker, or None."""
        pid = read_pid(self.pid_file)
        if pid is not None and pid_alive(pid, str(self.properties_path)):
            return pid
        return None

    def is_running(self) -> bool:
        """Return whether this cluster's broker process is alive."""
        return self.pid() is not None

    def running_ports(self) -> tuple[int, int] | None:
        """Return the (broker, controller) ports of the running broker, or None."""
        if self.pid() is None:
            return None
        return read_listener_ports(self.properties_path)

    def status(self) -> ClusterStatus:
        """Describe this cluster for status reports."""
        pid = self.pid()
        running_ports = self.running_ports()
        address = self.bootstrap_servers
        if running_ports is not None:
            address = f"127.0.0.1:{running_ports[0]}"
        return ClusterStatus(
            name=self.name,
            running=pid is not None,
            pid=pid,
            bootstrap_servers=address,
            configured_bootstrap_servers=self.bootstrap_servers,
            data_dir=self.data_dir,
            log_path=self.log_path,
        )

    def start(self, on_progress: Callable[[str], None] | None = None) -> bool:
        """Fetch the jars if needed, format storage once, start the broker, wait until ready.

        A broker that already runs on this cluster's ports is only waited for. Any error
        stops the broker only when this call started it.

        Returns:
            True when a broker was started now, False when it was already running.

        Raises:
            ClusterPortMismatchError: the cluster already runs on other ports.
            PortInUseError: another process listens on one of the ports.
            BrokerStartError: the broker exited or did not respond in time.
        """
        report = on_progress or (lambda _message: None)
        if self.is_running():
            self.check_ports()
            self.wait_until_ready()
            return False
        java = find_java()
        self.check_ports()
        assert self.distribution is not None
        if not self.distribution.is_fetched():
            report(f"Fetching Apache Kafka {self.distribution.version} jars with Maven")
        self.distribution.fetch()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_properties()
        if not (self.data_dir / "meta.properties").exists():
            report(f"Formatting storage of cluster '{self.name}'")
            self._format(java)
        report(f"Starting Kafka cluster '{self.name}' on {self.bootstrap_servers}")
        pid = spawn(
            self._broker_command(java),
            self.log_path,
            self.pid_file,
            self.folder,
            with_parent=self.with_parent,
        )
        logger.info("started kafka cluster=%s pid=%s port=%s", self.name, pid, self.port)
        try:
            self.wait_until_ready()
        except BaseException:
            self._stop_started(pid)
            raise
        return True

    def check_ports(self) -> None:
        """Raise unless this cluster runs on its ports, or it is stopped and they are free.

        Raises:
            ClusterPortMismatchError: the cluster already runs on other ports.
            PortInUseError: the cluster is stopped and another process listens on a port.
        """
        pid = self.pid()
        if pid is None:
            self._check_ports_free()
            return
        running = read_listener_ports(self.properties_path)
        requested = (self.port, self.controller_port)
        if running is not None and running != requested:
            raise ClusterPortMismatchError(
                self.name, pid, running, requested, str(self.properties_path)
            )

    def wait_until_ready(self) -> None:
        """Block until the broker responds to a metadata request, or raise with its log.

        It stops nothing, so a broker that times out is left running.
        """
        deadline = time.monotonic() + self.start_timeout_s
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        while time.monotonic() < deadline:
            if not self.is_running():
                self._raise_start_error("the broker process exited")
            try:
                metadata = admin.list_topics(timeout=2)
            except Exception:  # noqa: BLE001 - any failure here means "not ready yet"
                continue
            if metadata.brokers:
                return
        self._raise_start_error(
            f"no metadata response on {self.bootstrap_servers} within {self.start_timeout_s:.0f} s"
        )

    def stop(self, *, kill: bool = False) -> bool:
        """Stop the broker: SIGTERM, a bounded wait, then SIGKILL (or SIGKILL at once).

        Returns:
            True when a running broker was stopped, False when none was running.
        """
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        logger.info("stopping kafka cluster=%s pid=%s kill=%s", self.name, pid, kill)
        stop_pid(pid, str(self.properties_path), self.stop_timeout_s, kill=kill)
        self.pid_file.unlink(missing_ok=True)
        return True

    def delete(self) -> None:
        """Stop the broker and remove every file of this cluster."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _check_ports_free(self) -> None:
        for port, role in ((self.port, "broker"), (self.controller_port, "controller")):
            if not is_port_free(port):
                raise PortInUseError(self.name, port, role, holder_text(port))

    def _write_properties(self) -> None:
        template = Template((RESOURCES / "server.properties.template").read_text())
        text = template.substitute(
            port=self.port, controller_port=self.controller_port, data_dir=self.data_dir
        )
        extra = "".join(f"{key}={value}\n" for key, value in self.extra_config.items())
        self.properties_path.write_text(text + "\n# extra_config\n" + extra)

    def _format(self, java: str) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        command = [
            *self._java_prefix(java),
            _STORAGE_TOOL,
            "format",
            # One token: a URL-safe base64 id may start with '-', which would be read
            # as an option.
            f"--cluster-id={cluster_id}",
            "--config",
            str(self.properties_path),
            "--standalone",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            self._raise_start_error(f"formatting storage failed: {output}")
        (self.folder / "cluster.json").write_text(json.dumps({"cluster_id": cluster_id}) + "\n")

    def _java_prefix(self, java: str) -> list[str]:
        assert self.distribution is not None
        return [
            java,
            f"-Xmx{self.heap_mb}m",
            f"-Xms{min(self.heap_mb, 256)}m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={RESOURCES / 'log4j2.yaml'}",
            "-cp",
            self.distribution.classpath,
        ]

    def _broker_command(self, java: str) -> list[str]:
        return [*self._java_prefix(java), _MAIN_CLASS, str(self.properties_path)]

    def _stop_started(self, pid: int) -> None:
        """Kill the broker `pid` that this call spawned, and remove the pid file if it names it."""
        logger.info("stopping kafka that failed to start cluster=%s pid=%s", self.name, pid)
        stop_pid(pid, str(self.properties_path), self.stop_timeout_s, kill=True)
        if read_pid(self.pid_file) == pid:
            self.pid_file.unlink(missing_ok=True)

    def _raise_start_error(self, reason: str) -> NoReturn:
        tail = log_tail(self.log_path)
        raise BrokerStartError(self.name, reason, str(self.log_path), tail)
