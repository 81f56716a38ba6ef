"""A local MirrorMaker 2 process in dedicated mode, started from the pinned Kafka jars."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from keybus.cluster.distribution import RESOURCES, KafkaDistribution, keybus_home
from keybus.cluster.errors import ClusterError
from keybus.cluster.local import find_java
from keybus.cluster.process import log_tail, pid_alive, read_pid, spawn, stop_pid
from keybus.errors import ConfigurationError, clause

__all__ = [
    "MIRROR_CONFIGS",
    "TOPOLOGIES",
    "LocalMirrorMaker",
    "MirrorMakerStartError",
    "mirror_config_path",
    "mirror_topology",
]

logger = logging.getLogger(__name__)

MIRROR_CONFIGS = Path(__file__).resolve().parent / "mirrormaker"
"""deploy/mirrormaker: one MirrorMaker 2 properties file per topology."""

TOPOLOGIES = ("active-passive", "active-active")

_MAIN_CLASS = "org.apache.kafka.connect.mirror.MirrorMaker"
_STARTED_LINE = "Kafka MirrorMaker started"
_TOPOLOGY_LINE = "# keybus topology: "


class MirrorMakerStartError(ClusterError):
    """The MirrorMaker process exited or did not report a start in time."""

    def __init__(self, name: str, reason: str, log_path: Path, tail: str) -> None:
        super().__init__(
            f"MirrorMaker '{name}' failed to start: {clause(reason)}. "
            f"Last lines of {log_path}:\n{tail}",
            retryable=True,
        )
        self.name = name
        self.log_path = log_path


def mirror_topology(topology: str) -> str:
    """Return `topology` when it is known, or raise naming the known ones."""
    if topology not in TOPOLOGIES:
        raise ConfigurationError(
            f"Unknown MirrorMaker topology '{topology}'. Use one of: {', '.join(TOPOLOGIES)}."
        )
    return topology


def mirror_config_path(topology: str) -> Path:
    """Return the properties file of a topology, or raise naming the known ones."""
    return MIRROR_CONFIGS / f"{mirror_topology(topology)}.properties"


@dataclass
class LocalMirrorMaker:
    """MirrorMaker 2 on this machine; its files live in `<home>/mirrormaker/<name>/`.

    `targets` limits this process to the flows into those regions (MirrorMaker's
    `--clusters`); empty means every flow of the file.

    The generated `mm2.properties` is the topology file followed by the bootstrap servers
    of `clusters` and then `overrides`. In a Java properties file the last value of a key
    wins, so both replace the defaults of the topology file.
    """

    name: str
    clusters: Mapping[str, str]
    topology: str = "active-passive"
    overrides: Mapping[str, str] = field(default_factory=dict)
    targets: Sequence[str] = ()
    home: Path = field(default_factory=keybus_home)
    heap_mb: int = 512
    start_timeout_s: float = 90.0
    stop_timeout_s: float = 30.0
    distribution: KafkaDistribution | None = None
    with_parent: bool = False
    """Stop MirrorMaker when the process that started it dies; set by throwaway regions."""

    def __post_init__(self) -> None:
        if self.distribution is None:
            self.distribution = KafkaDistribution.default()

    @property
    def folder(self) -> Path:
        """Folder holding this process's properties, log and pid file."""
        return self.home / "mirrormaker" / self.name

    @property
    def properties_path(self) -> Path:
        """The generated mm2.properties."""
        return self.folder / "mm2.properties"

    @property
    def log_path(self) -> Path:
        """MirrorMaker's standard output and log4j output."""
        return self.folder / "mirrormaker.log"

    @property
    def pid_file(self) -> Path:
        """File holding the pid of the running process."""
        return self.folder / "mirrormaker.pid"

    def pid(self) -> int | None:
        """Return the pid of this MirrorMaker when it runs, else None."""
        pid = read_pid(self.pid_file)
        if pid is not None and pid_alive(pid, str(self.properties_path)):
            return pid
        return None

    def is_running(self) -> bool:
        """Return whether this MirrorMaker process is alive."""
        return self.pid() is not None

    def running_topology(self) -> str | None:
        """Return the topology written into the last mm2.properties, or None if unknown."""
        try:
            first_line = self.properties_path.read_text().partition("\n")[0]
        except OSError:
            return None
        if not first_line.startswith(_TOPOLOGY_LINE):
            return None
        return first_line.removeprefix(_TOPOLOGY_LINE).strip()

    def start(self, on_progress: Callable[[str], None] | None = None) -> bool:
        """Write mm2.properties, start MirrorMaker and wait until it reports a start.

        Returns:
            True when a process was started now, False when it was already running.
        """
        report = on_progress or (lambda _message: None)
        if self.is_running():
            return False
        java = find_java()
        assert self.distribution is not None
        self.distribution.fetch()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text(self.render_properties())
        self.log_path.write_text("")
        report(f"Starting MirrorMaker '{self.name}' ({self.topology})")
        pid = spawn(
            self._command(java),
            self.log_path,
            self.pid_file,
            self.folder,
            with_parent=self.with_parent,
        )
        logger.info("started mirrormaker name=%s pid=%s topology=%s", self.name, pid, self.topology)
        try:
            self._wait_until_started()
        except BaseException:
            self._stop_started(pid)
            raise
        return True

    def stop(self, *, kill: bool = False) -> bool:
        """Stop MirrorMaker: SIGTERM, a bounded wait, then SIGKILL (or SIGKILL at once).

        Returns:
            True when a running process was stopped, False when none was running.
        """
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        logger.info("stopping mirrormaker name=%s pid=%s kill=%s", self.name, pid, kill)
        stop_pid(pid, str(self.properties_path), self.stop_timeout_s, kill=kill)
        self.pid_file.unlink(missing_ok=True)
        return True

    def render_properties(self) -> str:
        """Return the mm2.properties text: topology file, bootstrap servers, overrides."""
        text = mirror_config_path(self.topology).read_text()
        servers = "".join(
            f"{region}.bootstrap.servers={bootstrap}\n"
            for region, bootstrap in self.clusters.items()
        )
        extra = "".join(f"{key}={value}\n" for key, value in self.overrides.items())
        return (
            f"{_TOPOLOGY_LINE}{self.topology}\n{text}\n"
            f"# bootstrap servers of the running regions\n{servers}\n# overrides\n{extra}"
        )

    def _command(self, java: str) -> list[str]:
        assert self.distribution is not None
        return [
            java,
            f"-Xmx{self.heap_mb}m",
            f"-Xms{min(self.heap_mb, 128)}m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={RESOURCES / 'log4j2.yaml'}",
            "-cp",
            self.distribution.classpath,
            _MAIN_CLASS,
            str(self.properties_path),
            *(["--clusters", *self.targets] if self.targets else []),
        ]

    def _wait_until_started(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if not self.is_running():
                self._raise_start_error("the MirrorMaker process exited")
            if _STARTED_LINE in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.25)
        self._raise_start_error(f"no '{_STARTED_LINE}' line within {self.start_timeout_s:.0f} s")

    def _stop_started(self, pid: int) -> None:
        """Kill the process `pid` that this call spawned, and remove the pid file if it names it."""
        logger.info("stopping mirrormaker that failed to start name=%s pid=%s", self.name, pid)
        stop_pid(pid, str(self.properties_path), self.stop_timeout_s, kill=True)
        if read_pid(self.pid_file) == pid:
            self.pid_file.unlink(missing_ok=True)

    def _raise_start_error(self, reason: str) -> NoReturn:
        tail = log_tail(self.log_path, 40)
        raise MirrorMakerStartError(self.name, reason, self.log_path, tail)
