"""A registry process next to a local region's Kafka, for `keybus dev up` and the demo."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx

from keybus.cluster import keybus_home, region_cluster
from keybus.cluster.process import (
    command_line,
    holder_text,
    is_port_free,
    log_tail,
    pid_alive,
    port_holder,
    read_pid,
    spawn,
    stop_pid,
)
from keybus.errors import KeybusError
from keybus.settings import DEFAULT_REGION_PORTS, region_settings

__all__ = [
    "LocalRegistry",
    "RegistryPortInUseError",
    "RegistryPortMismatchError",
    "RegistryStartError",
    "region_registry",
]

logger = logging.getLogger(__name__)

# Before signalling a pid from the pid file, its command line (NUL-separated arguments
# in /proc) must contain this, so that a recycled pid is never signalled.
_MARKER = "registry\x00serve"


class RegistryStartError(KeybusError):
    """A local registry process exited or did not respond in time."""


class RegistryPortInUseError(RegistryStartError):
    """The port of a local registry is taken by a process that is not this registry."""

    def __init__(self, name: str, port: int, holder: str) -> None:
        setting = (
            f"KEYBUS_{name.upper()}_REGISTRY_PORT" if name in DEFAULT_REGION_PORTS else "its port"
        )
        super().__init__(
            f"Cannot start registry '{name}': port {port} on 127.0.0.1 is already in use"
            f"{holder}. Stop the process listening on {port}, or choose another port with "
            f"{setting}."
        )
        self.name = name
        self.port = port


class RegistryPortMismatchError(RegistryStartError):
    """A local registry already runs, but on another port than the one requested now."""

    def __init__(self, name: str, pid: int, running_port: int, port: int) -> None:
        if name in DEFAULT_REGION_PORTS:
            setting = f"KEYBUS_{name.upper()}_REGISTRY_PORT"
            default = DEFAULT_REGION_PORTS[name][2]
            use = f"unset {setting}" if running_port == default else f"set {setting}={running_port}"
            fix = (
                f"To use the running registry, {use}. To move it to port {port}, run "
                f"`keybus dev down --regions {name}` first."
            )
            source = f"{setting} sets port {port}"
        else:
            fix = "Use the running port, or stop the registry first to start it on the new one."
            source = f"port {port} was requested"
        super().__init__(
            f"Registry '{name}' already runs as pid {pid} at http://127.0.0.1:{running_port}, "
            f"but {source}. {fix}"
        )
        self.name = name
        self.pid = pid
        self.running_port = running_port
        self.port = port


@dataclass(frozen=True)
class LocalRegistry:
    """One `keybus registry serve` process run in the background with a pid file."""

    name: str
    bootstrap_servers: str
    port: int
    home: Path
    schemas_topic: str = "_schemas"
    start_timeout_s: float = 60.0

    @property
    def url(self) -> str:
        """The base URL of the registry."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def folder(self) -> Path:
        """Where the pid file and the log live."""
        return self.home / "registries" / self.name

    @property
    def log_path(self) -> Path:
        """The registry's log file."""
        return self.folder / "registry.log"

    def pid(self) -> int | None:
        """Return the pid of the running registry, or None."""
        pid = read_pid(self.folder / "registry.pid")
        return pid if pid is not None and pid_alive(pid, _MARKER) else None

    def running_port(self) -> int | None:
        """Return the port the running registry listens on, from its command line, or None."""
        pid = self.pid()
        if pid is None:
            return None
        arguments = command_line(pid)
        if "--port" not in arguments[:-1]:
            return None
        value = arguments[arguments.index("--port") + 1]
        return int(value) if value.isdigit() else None

    def running_url(self) -> str | None:
        """Return the URL of the running registry, or None when it does not run."""
        port = self.running_port()
        return None if port is None else f"http://127.0.0.1:{port}"

    def check_port(self) -> None:
        """Raise unless this registry runs on its port, or it is stopped and the port is free.

        Raises:
            RegistryPortMismatchError: the registry already runs on another port.
            RegistryPortInUseError: the registry is stopped and another process listens on
                the port.
        """
        pid = self.pid()
        if pid is None:
            if not is_port_free(self.port):
                raise RegistryPortInUseError(self.name, self.port, holder_text(self.port))
            return
        running_port = self.running_port()
        if running_port is not None and running_port != self.port:
            raise RegistryPortMismatchError(self.name, pid, running_port, self.port)

    def start(self) -> bool:
        """Start the registry unless it runs, and return False when it was already running.

        The registry counts as running only when its pid file names a live registry
        process. Any other process on its port, another region's registry included, is
        not this registry.

        Raises:
            RegistryPortMismatchError: the registry already runs on another port.
            RegistryPortInUseError: another process listens on the port.
            RegistryStartError: the process exited or did not become ready in time.
        """
        self.check_port()
        if self.pid() is not None:
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "keybus.cli", "registry", "serve",
            "--bootstrap-servers", self.bootstrap_servers, "--port", str(self.port),
            "--schemas-topic", self.schemas_topic,
        ]  # fmt: skip
        pid = spawn(command, self.log_path, self.folder / "registry.pid", cwd=self.folder)
        logger.info("Started registry name=%s pid=%s url=%s", self.name, pid, self.url)
        self._wait_ready(pid)
        return True

    def stop(self, timeout_s: float = 15.0) -> bool:
        """Stop the registry, and return False when it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        stop_pid(pid, _MARKER, timeout_s)
        logger.info("Stopped registry name=%s pid=%s", self.name, pid)
        return True

    def _raise_exited(self) -> NoReturn:
        tail = log_tail(self.log_path)
        if not is_port_free(self.port):
            raise RegistryPortInUseError(self.name, self.port, holder_text(self.port))
        raise RegistryStartError(
            f"Registry {self.name} exited at start. Last lines of {self.log_path}:\n{tail}"
        )

    def _wait_ready(self, pid: int) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if not pid_alive(pid, _MARKER):
                self._raise_exited()
            try:
                # Ready as a replica too: another instance may hold the primary role.
                httpx.get(f"{self.url}/health", timeout=2.0).raise_for_status()
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            # A process that took the port after the check in start() also returns 200 on /health.
            holder = port_holder(self.port)
            if holder is None or holder == pid:
                return
            time.sleep(0.2)
        stop_pid(pid, _MARKER, timeout_s=10.0)
        raise RegistryStartError(
            f"Registry {self.name} did not become ready at {self.url} within "
            f"{self.start_timeout_s} s and was stopped. See {self.log_path}."
        )


def region_registry(region: str, home: Path | None = None) -> LocalRegistry:
    """Return the local registry of a named region, on the region's registry port."""
    return LocalRegistry(
        name=region,
        bootstrap_servers=region_cluster(region, home).bootstrap_servers,
        port=region_settings(region).registry_port,
        home=home or keybus_home(),
    )
