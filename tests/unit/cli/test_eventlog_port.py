"""`keybus event-log replay --serve` on a taken port fails before it reads or serves.

Real: a listening socket in this process holds the port. No Kafka runs, because the
command must stop before it connects.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from typer.testing import CliRunner

from keybus.cli import app

runner = CliRunner()


def test_serve_on_taken_port_fails(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        arguments = [
            "event-log", "replay", "--topic", "loans", "--db", str(tmp_path / "p.sqlite"),
            "--serve", "--port", str(port), "-b", "127.0.0.1:1",
        ]  # fmt: skip
        result = runner.invoke(app, arguments, env={"COLUMNS": "200"})

    assert result.exit_code == 3
    assert f"Cannot serve on 127.0.0.1:{port}" in result.output
    assert f"in use by pid {os.getpid()}" in result.output
    assert "--port" in result.output
    assert "serving" not in result.output
