"""`keybus registry`: run keybus's Confluent-compatible schema registry."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from keybus.cli.console import fail
from keybus.cli.options import check_topic_option
from keybus.cluster.process import holder_text, is_port_free
from keybus.errors import KeybusError

__all__ = ["app"]

app = typer.Typer(help="Run keybus's Confluent-compatible schema registry.")


class _JsonFormatter(logging.Formatter):
    """Format log records as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document)


def _configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("KEYBUS_LOG_LEVEL", "INFO").upper())


def _check_port(host: str, port: int) -> None:
    """Exit with the holder and the setting to change when the listening port is taken."""
    if is_port_free(port, host):
        return
    fail(
        f"Registry not started: port {port} on {host} is already in use{holder_text(port)}. "
        "Stop that process, or pass another --port (or set KEYBUS_REGISTRY_PORT)."
    )


@app.command()
def serve(
    *,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option(
            "--bootstrap-servers",
            "-b",
            envvar="KEYBUS_BOOTSTRAP_SERVERS",
            help="Kafka, as host:port[,host:port]. Default: the local east region at "
            "127.0.0.1:KEYBUS_EAST_KAFKA_PORT (9092 unless set).",
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[
        int | None,
        typer.Option(help="TCP port to listen on. Default: KEYBUS_EAST_REGISTRY_PORT, else 8081."),
    ] = None,
    advertised_url: Annotated[
        str | None,
        typer.Option(help="URL other instances forward writes to. Default http://HOST:PORT."),
    ] = None,
    schemas_topic: Annotated[
        str | None, typer.Option(help="Compacted topic of the schemas. Default _schemas.")
    ] = None,
    auth_file: Annotated[
        Path | None,
        typer.Option(help="File of user:password:role lines (read-only or read-write)."),
    ] = None,
    max_request_bytes: Annotated[
        int | None, typer.Option(help="Largest request body accepted, in bytes. Default 2 MiB.")
    ] = None,
    default_compatibility: Annotated[
        str | None, typer.Option(help="Global level until one is set. Default BACKWARD.")
    ] = None,
) -> None:
    """Serve the Confluent Schema Registry REST API, stored in Kafka.

    Every option can also be set as KEYBUS_REGISTRY_<OPTION>, for example
    KEYBUS_REGISTRY_PORT=8181; an option given here wins over the variable.
    """
    # The service extra (FastAPI, uvicorn) is imported only when the service runs.
    from keybus.registry.server import RegistrySettings  # noqa: PLC0415
    from keybus.registry.server import serve as serve_registry  # noqa: PLC0415

    given: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "host": host,
        "port": port,
        "advertised_url": advertised_url,
        "schemas_topic": schemas_topic,
        "auth_file": auth_file,
        "max_request_bytes": max_request_bytes,
        "default_compatibility": default_compatibility,
    }
    try:
        settings = RegistrySettings(
            **{key: value for key, value in given.items() if value is not None}
        )
        check_topic_option(settings.schemas_topic, "--schemas-topic")
        check_topic_option(settings.coordination, "the coordination topic")
        _check_port(settings.host, settings.port)
        _configure_logging()
        serve_registry(settings)
    except (ValidationError, KeybusError) as exc:
        fail(f"Registry not started: {exc}")
