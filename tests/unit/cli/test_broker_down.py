"""Commands that need Kafka fail within seconds, with one error line, when it is down.

Real: the `keybus` Typer app, run in-process with Typer's runner, and loopback sockets.
No Kafka runs: each command points at a free loopback port, where connections are
refused, or at a port whose full backlog makes connections time out. `registry serve`
configures the root logger, so it runs as a process in the integration tests instead.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.testing import free_port, unresponsive_port

REPO = Path(__file__).resolve().parents[3]
BOUND_S = 5.0
"""The default connect timeout: no command may wait longer for a broker that is down."""

runner = CliRunner()


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.chdir(REPO)
    for name in ("KEYBUS_BOOTSTRAP_SERVERS", "KEYBUS_CONNECT_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)


def _event_log(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp\n"
        "o-1,placed,2026-03-02T12:00:00Z\n"
        "o-1,paid,2026-03-02T12:05:00Z\n"
    )
    return path


def _commands(tmp_path: Path, servers: str) -> dict[str, list[str]]:
    """Return every command that needs Kafka, pointed at `servers` by its own option."""
    bootstrap = ["--bootstrap-servers", servers]
    return {
        "import": ["import", str(_event_log(tmp_path)), "--topic", "orders", *bootstrap],
        "dlq list": ["dlq", "list", "orders.billing.dlq", *bootstrap],
        "dlq show": ["dlq", "show", "orders.billing.dlq", *bootstrap],
        "dlq replay": ["dlq", "replay", "orders.billing.dlq", *bootstrap],
        "topics plan": ["topics", "plan", *bootstrap],
        "topics apply": ["topics", "apply", *bootstrap],
        "replay": [
            "replay",
            "--projection",
            "delivery-status",
            "--db",
            str(tmp_path / "p.sqlite"),
            *bootstrap,
        ],
        "event-log replay": [
            "event-log",
            "replay",
            "--topic",
            "orders",
            "--db",
            str(tmp_path / "e.sqlite"),
            *bootstrap,
        ],
        "mirror status": [
            "mirror",
            "status",
            "--source-servers",
            servers,
            "--target-servers",
            servers,
        ],
        "mirror check": [
            "mirror",
            "check",
            "--source-servers",
            servers,
            "--target-servers",
            servers,
        ],
    }


COMMANDS = [
    "import",
    "dlq list",
    "dlq show",
    "dlq replay",
    "topics plan",
    "topics apply",
    "replay",
    "event-log replay",
    "mirror status",
    "mirror check",
]

SETTINGS = {
    "mirror status": "--source-servers (or KEYBUS_EAST_KAFKA_PORT for the local region)",
    "mirror check": "--source-servers (or KEYBUS_EAST_KAFKA_PORT for the local region)",
}


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("command", COMMANDS)
def test_refused_broker_fails_at_once(command: str, tmp_path: Path) -> None:
    servers = f"127.0.0.1:{free_port()}"
    args = _commands(tmp_path, servers)[command]

    started = time.monotonic()
    result = runner.invoke(app, args)
    elapsed = time.monotonic() - started

    errors = _error_lines(result.output)
    assert result.exit_code == 1, result.output
    assert elapsed < BOUND_S
    assert len(errors) == 1, result.output
    assert f"Kafka is not reachable at {servers}: {servers} refused the connection" in errors[0]
    assert "`keybus dev up`" in errors[0]
    setting = SETTINGS.get(command, "--bootstrap-servers (-b) or KEYBUS_BOOTSTRAP_SERVERS")
    assert f"or set {setting} to the address of a running one" in errors[0]


@pytest.mark.parametrize("command", ["dlq list", "topics plan", "import"])
def test_silent_broker_fails_after_timeout(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYBUS_CONNECT_TIMEOUT_S", "1")
    with unresponsive_port() as port:
        args = _commands(tmp_path, f"127.0.0.1:{port}")[command]
        started = time.monotonic()
        result = runner.invoke(app, args)
        elapsed = time.monotonic() - started

    assert result.exit_code == 1, result.output
    assert 1.0 <= elapsed < BOUND_S
    assert f"127.0.0.1:{port} did not accept a connection within 1 s" in result.output


@pytest.mark.parametrize("command", [["run", "router"], ["deploy", "up"]])
def test_processors_fail_at_once(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    servers = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("KEYBUS_BOOTSTRAP_SERVERS", servers)

    started = time.monotonic()
    result = runner.invoke(app, command)
    elapsed = time.monotonic() - started

    errors = _error_lines(result.output)
    assert result.exit_code == 1, result.output
    assert elapsed < BOUND_S
    assert len(errors) == 1, result.output
    assert f"Kafka is not reachable at {servers}" in errors[0]
    assert "or set KEYBUS_BOOTSTRAP_SERVERS" in errors[0]


def test_dry_run_import_needs_no_broker(tmp_path: Path) -> None:
    args = _commands(tmp_path, f"127.0.0.1:{free_port()}")["import"]

    result = runner.invoke(app, [*args, "--dry-run"])

    assert result.exit_code == 0, result.output


def test_invalid_bootstrap_servers_named() -> None:
    result = runner.invoke(app, ["dlq", "list", "orders.billing.dlq", "-b", "broker:port"])

    assert result.exit_code == 1
    assert "Bootstrap server 'broker:port' in 'broker:port' is not host:port" in result.output


@pytest.mark.parametrize("command", [["schemas", "check"], ["schemas", "register"]])
def test_refused_registry_fails_at_once(command: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    started = time.monotonic()
    result = runner.invoke(app, [*command, "--registry", url])
    elapsed = time.monotonic() - started

    errors = _error_lines(result.output)
    assert result.exit_code == 1, result.output
    assert elapsed < BOUND_S
    assert len(errors) == 1, result.output
    assert f"Schema registry at {url} did not answer" in errors[0]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("replay", "--from 'yesterday' is neither 'beginning' nor an ISO 8601 time"),
        ("event-log replay", "--from 'yesterday' is neither 'beginning' nor an ISO 8601 time"),
        ("dlq show", "--since 'yesterday' is neither an ISO-8601 time"),
    ],
)
def test_invalid_input_reported_before_broker(command: str, message: str, tmp_path: Path) -> None:
    args = _commands(tmp_path, f"127.0.0.1:{free_port()}")[command]
    option = "--since" if command == "dlq show" else "--from"

    result = runner.invoke(app, [*args, option, "yesterday"])

    assert result.exit_code != 0
    assert message in " ".join(result.output.split())
    assert "Kafka is not reachable" not in result.output
