"""Run projections live, one thread each, and serve them over HTTP with uvicorn."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from keybus.registry.client import RegistryClient
from keybus.sourcing.errors import ProjectionError
from keybus.sourcing.projections.registry import create_projection
from keybus.sourcing.projections.runner import BatchApplied, ProjectionRunner
from keybus.sourcing.projections.store import ProjectionStore

__all__ = ["ProjectionService"]

logger = logging.getLogger(__name__)

_LISTEN_TIMEOUT_S = 10.0


class ProjectionService:
    """Keep projections up to date from their streams and serve their rows.

    Args:
        names: registered projection names to run.
        data_dir: folder of the SQLite files, one `<name>.sqlite` per projection.
        bootstrap_servers: Kafka's `bootstrap.servers`.
        registry_url: the schema registry's base URL.
        topic_prefix: prefix of the stream topics.
        port: HTTP port on 127.0.0.1; None serves no HTTP.
        on_batch: called after each committed batch of any projection.
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        data_dir: Path,
        bootstrap_servers: str,
        registry_url: str,
        topic_prefix: str = "",
        port: int | None = None,
        on_batch: Callable[[str, BatchApplied], object] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        registry = RegistryClient(registry_url)
        self.runners: dict[str, ProjectionRunner] = {}
        for name in names:
            store = ProjectionStore(create_projection(name), self.database(name))
            self.runners[name] = ProjectionRunner(
                store,
                bootstrap_servers=bootstrap_servers,
                registry=registry,
                topic_prefix=topic_prefix,
                on_batch=None if on_batch is None else _named(on_batch, name),
            )
        self._threads: list[threading.Thread] = []
        self._server: object | None = None

    def database(self, name: str) -> Path:
        """Return the SQLite file of projection `name`."""
        return self.data_dir / f"{name}.sqlite"

    def start(self) -> None:
        """Start one thread per projection, and the HTTP server when a port is set.

        Raises:
            ProjectionError: the HTTP server failed to listen on the port. No projection
                thread is started then.
        """
        if self.port is not None:
            self._serve_http(self.port)
        for name, runner in self.runners.items():
            thread = threading.Thread(target=runner.run, name=f"projection-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
            logger.info("projection started name=%s database=%s", name, self.database(name))

    def wait_caught_up(self, timeout_s: float = 60.0) -> bool:
        """Wait until no projection has records left to read; return whether that happened."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(runner.lag() == 0 for runner in self.runners.values()):
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop the runners after their current batch, and the HTTP server."""
        for runner in self.runners.values():
            runner.stop()
        for thread in self._threads:
            thread.join(timeout=10.0)
        for runner in self.runners.values():
            runner.close()
            runner.store.close()
        if self._server is not None:
            self._server.should_exit = True  # type: ignore[attr-defined]
        logger.info("projections stopped names=%s", sorted(self.runners))

    def _serve_http(self, port: int) -> None:
        import uvicorn  # noqa: PLC0415 - HTTP serving needs the registry extra

        from keybus.sourcing.projections.http import projection_api  # noqa: PLC0415

        app = projection_api(
            {
                name: (runner.projection, self.database(name))
                for name, runner in self.runners.items()
            }
        )
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(
            target=_run_server, args=(server, port), name="projection-http", daemon=True
        )
        thread.start()
        self._server = server
        # uvicorn exits its thread when it cannot bind, so only `started` proves the listen.
        deadline = time.monotonic() + _LISTEN_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ProjectionError(
                    f"Projection API failed to listen on 127.0.0.1:{port}; the port is most "
                    "likely in use by another process. Stop it or choose another port."
                )
            time.sleep(0.05)
        logger.info("projection api listening url=http://127.0.0.1:%s/projections", port)


def _run_server(server: Any, port: int) -> None:
    """Run uvicorn, logging the exit it raises when it cannot bind instead of dying loudly."""
    try:
        server.run()
    except SystemExit:
        logger.exception("projection api failed to listen port=%s", port)


def _named(
    callback: Callable[[str, BatchApplied], object], name: str
) -> Callable[[BatchApplied], object]:
    return lambda batch: callback(name, batch)
