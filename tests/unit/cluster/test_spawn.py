"""Processes started by `spawn`: pid files, and stopping with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from keybus.cluster.process import pid_alive, read_pid, spawn

# A parent process that spawns a long sleep and then waits to be killed.
PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from keybus.cluster.process import spawn

    folder = Path(sys.argv[1])
    spawn(
        [sys.executable, "-c", "import time; time.sleep(60)", "keybus-spawn-test"],
        folder / "child.log",
        folder / "child.pid",
        folder,
        with_parent=sys.argv[2] == "yes",
    )
    print("started", flush=True)
    time.sleep(60)
    """
)


def _child_after_parent_killed(tmp_path: Path, with_parent: bool) -> int:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path), "yes" if with_parent else "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "started"
    child = read_pid(tmp_path / "child.pid")
    assert child is not None
    parent.kill()
    parent.wait(10)
    return child


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid, "keybus-spawn-test"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux only")
def test_child_stops_with_killed_parent(tmp_path: Path) -> None:
    child = _child_after_parent_killed(tmp_path, with_parent=True)

    assert _gone_within(child, 10.0), f"child {child} outlived its killed parent"


def test_child_outlives_parent_by_default(tmp_path: Path) -> None:
    child = _child_after_parent_killed(tmp_path, with_parent=False)
    try:
        assert not _gone_within(child, 1.0), "a detached child must outlive its parent"
    finally:
        os.kill(child, signal.SIGKILL)


def test_spawn_records_pid(tmp_path: Path) -> None:
    pid = spawn(["sleep", "30"], tmp_path / "sleep.log", tmp_path / "sleep.pid", tmp_path)
    try:
        assert read_pid(tmp_path / "sleep.pid") == pid
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
