"""Run a topology as a group of Faust worker processes tracked by pid files."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from keybus.cluster.process import log_tail, pid_alive, read_pid, spawn, stop_pid
from keybus.errors import ConfigurationError, KeybusError

__all__ = ["WorkerGroup", "topology_module"]

logger = logging.getLogger(__name__)


def topology_module(name: str, module: str | None = None) -> str:
    """Return the module path of a topology, `topologies.<name>` unless `module` is given.

    Only the default path is checked here; an explicit module is resolved by the worker
    with its own PYTHONPATH.
    """
    if not name.isidentifier():
        raise ConfigurationError(f"Topology name {name!r} is not a Python identifier.")
    if module is not None:
        return module
    module = f"topologies.{name}"
    if importlib.util.find_spec(module) is None:
        raise ConfigurationError(
            f"No topology named '{name}': module {module} was not found. Topologies live in "
            "topologies/ (for example router, enricher); run from the repository root."
        )
    return module


@dataclass
class WorkerGroup:
    """N Faust workers of one topology; their pids and logs live in `folder`.

    `module` overrides the Faust app module, which is `topologies.<topology>` by default.
    Workers share the topology's consumer group, so Kafka spreads the source partitions
    over them and moves a stopped worker's partitions to the others. Each worker keeps its
    local state in its own folder (`worker-<index>.data`), which also marks its process.
    With `with_parent`, the workers stop when the process that started them dies, as
    tests and benchmarks need; workers that outlive their starter leave it False.
    """

    topology: str
    folder: Path
    environment: dict[str, str]
    stop_timeout_s: float = 30.0
    module: str | None = None
    with_parent: bool = False

    def pid_file(self, index: int) -> Path:
        """Return the pid file of worker `index`."""
        return self.folder / f"worker-{index}.pid"

    def log_path(self, index: int) -> Path:
        """Return the log file of worker `index`."""
        return self.folder / f"worker-{index}.log"

    def start(self, workers: int) -> list[int]:
        """Start workers 0..workers-1 that are not running; return the pids of all of them."""
        module = topology_module(self.topology, self.module)
        self.folder.mkdir(parents=True, exist_ok=True)
        pids = []
        for index in range(workers):
            pid = self.pid(index)
            if pid is None:
                pid = spawn(
                    self._command(module, index),
                    self.log_path(index),
                    self.pid_file(index),
                    Path.cwd(),
                    env={
                        **os.environ,
                        **self.environment,
                        "KEYBUS_DATA_DIR": self._marker(index),
                    },
                    with_parent=self.with_parent,
                )
                logger.info("started worker topology=%s index=%s pid=%s", self.topology, index, pid)
            pids.append(pid)
        return pids

    def pid(self, index: int) -> int | None:
        """Return the pid of a running worker, or None."""
        pid = read_pid(self.pid_file(index))
        if pid is not None and pid_alive(pid, self._marker(index)):
            return pid
        return None

    def running(self) -> dict[int, int]:
        """Return worker index -> pid for every running worker."""
        found = {}
        for pid_file in sorted(self.folder.glob("worker-*.pid")):
            index = int(pid_file.stem.split("-")[1])
            pid = self.pid(index)
            if pid is not None:
                found[index] = pid
        return found

    def stop(self, index: int | None = None, *, kill: bool = False) -> list[int]:
        """Stop one worker or all of them (SIGTERM, then SIGKILL after the timeout)."""
        targets = self.running() if index is None else {index: self.pid(index)}
        stopped = []
        for worker, pid in targets.items():
            if pid is None:
                continue
            stop_pid(pid, self._marker(worker), self.stop_timeout_s, kill=kill)
            self.pid_file(worker).unlink(missing_ok=True)
            stopped.append(pid)
        return stopped

    def wait_healthy(self, workers: int, seconds: float) -> None:
        """Fail with the worker's log when one exits during the first `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for index in range(workers):
                if self.pid(index) is None:
                    raise KeybusError(
                        f"Worker {index} of topology '{self.topology}' exited. Last lines of "
                        f"{self.log_path(index)}:\n{log_tail(self.log_path(index))}"
                    )
            time.sleep(0.5)

    def _marker(self, index: int) -> str:
        return str(self.folder / f"worker-{index}.data")

    @staticmethod
    def _loop_option() -> list[str]:
        # uvloop runs Faust's per-record asyncio work (tasks, callbacks, queues) in C.
        if importlib.util.find_spec("uvloop") is None:
            return []
        return ["--loop", "uvloop"]

    def _command(self, module: str, index: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "faust",
            *self._loop_option(),
            "--datadir",
            self._marker(index),
            "-A",
            module,
            "worker",
            "--loglevel",
            "info",
            "--without-web",
        ]
