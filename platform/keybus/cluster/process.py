"""Start, watch and stop the JVM processes of local clusters through pid files."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "is_port_free",
    "log_tail",
    "pid_alive",
    "read_pid",
    "spawn",
    "stop_pid",
    "stop_with_parent",
]

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def is_port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether nothing listens on `host:port` and it can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def read_pid(pid_file: Path) -> int | None:
    """Return the pid stored in `pid_file`, or None when it is missing or unreadable."""
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int, marker: str) -> bool:
    """Return whether `pid` runs and its command line contains `marker`.

    The marker guards against a recycled pid: a stale pid file must never lead to a
    signal sent to an unrelated process.
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    with contextlib.suppress(FileNotFoundError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return False
    # A process that is still inside exec() shows an empty command line for a moment.
    return not cmdline or marker.encode() in cmdline


def stop_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent dies, even by SIGKILL.

    Call it in the child between fork and exec (`preexec_fn`). Elsewhere it does nothing.
    """
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    command: Sequence[str],
    log_path: Path,
    pid_file: Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    with_parent: bool = False,
) -> int:
    """Start `command` in its own session, append its output to `log_path`, record its pid.

    With `with_parent`, the process gets SIGTERM when the calling process dies in any
    way, so a crashed test run or benchmark leaves no broker behind.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=None if env is None else dict(env),
            start_new_session=True,
            preexec_fn=stop_with_parent if with_parent else None,  # noqa: PLW1509 - prctl only
        )
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def stop_pid(pid: int, marker: str, timeout_s: float, *, kill: bool = False) -> None:
    """Stop a process with SIGTERM (or SIGKILL when `kill`), then SIGKILL after `timeout_s`."""
    if not pid_alive(pid, marker):
        return
    first = signal.SIGKILL if kill else signal.SIGTERM
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid, marker):
            return
        time.sleep(0.1)
    logger.warning("process did not stop after SIGTERM pid=%s timeout_s=%s", pid, timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while pid_alive(pid, marker):
        _reap(pid)
        time.sleep(0.05)


def _reap(pid: int) -> None:
    """Collect the exit status of `pid` when it is our child, so it leaves no zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def log_tail(log_path: Path, lines: int = 25) -> str:
    """Return the last `lines` lines of a log file, or a note that it is missing."""
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {log_path})"
    return "\n".join(text.splitlines()[-lines:])
