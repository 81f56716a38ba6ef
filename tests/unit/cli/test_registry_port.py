"""`keybus registry serve` on a taken port fails before it connects to Kafka.

Real: a listening socket in this process is bound to the port. No Kafka runs.
"""

from __future__ import annotations

import os
import socket

from typer.testing import CliRunner

from keybus.cli import app

runner = CliRunner()


def test_serve_on_taken_port_fails() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        result = runner.invoke(
            app,
            ["registry", "serve", "--port", str(port), "-b", "127.0.0.1:1"],
            env={"COLUMNS": "200"},
        )

    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use by pid {os.getpid()}" in result.output
    assert "--port" in result.output
