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
    "command_line",
    "describe_process",
    "holder_text",
    "is_port_free",
    "log_tail",
    "pid_alive",
    "port_holder",
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


_TCP_LISTEN = "0A"


def holder_text(port: int) -> str:
    """Return ` by pid N (command line)` for a port-in-use message, or "" when unknown."""
    pid = port_holder(port)
    return "" if pid is None else f" by {describe_process(pid)}"


def port_holder(port: int) -> int | None:
    """Return the pid of a process listening on TCP `port`, or None when none is found.

    Reads /proc/net/tcp and /proc/net/tcp6 for the listening socket, then the open files
    of each process for that socket. Only processes of the same user are readable, so
    None also means that the holder belongs to another user or that /proc is missing.
    """
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for fd_folder in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_folder.iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) in inodes:
                        return int(fd_folder.parent.name)
    return None


def _listening_inodes(port: int) -> set[str]:
    """Return the `socket:[inode]` links of the sockets listening on TCP `port`."""
    inodes = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        with contextlib.suppress(OSError):
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rpartition(":")[2], 16)
                if local_port == port and fields[3] == _TCP_LISTEN:
                    inodes.add(f"socket:[{fields[9]}]")
    return inodes


def describe_process(pid: int) -> str:
    """Return `pid N (command line)` for messages, the command line cut to 120 characters."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"pid {pid}"
    command = " ".join(" ".join(part.decode(errors="replace").split()) for part in arguments)
    command = command.strip()
    if len(command) > 120:
        command = command[:117] + "..."
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def command_line(pid: int) -> list[str]:
    """Return the arguments of process `pid` from /proc, or [] when it cannot be read."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    return [part.decode(errors="replace") for part in arguments if part]


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
