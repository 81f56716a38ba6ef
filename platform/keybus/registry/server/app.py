"""Build and run the registry service: store, election, API and gateway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from keybus.registry.server import api, api_config
from keybus.registry.server.avro import SchemaParser
from keybus.registry.server.commands import RegistryCommands
from keybus.registry.server.context import Registry, RegistryResponse
from keybus.registry.server.election import PrimaryElection, PrimaryRole
from keybus.registry.server.errors import ErrorCode, RegistryServiceError
from keybus.registry.server.forwarding import WriteForwarder
from keybus.registry.server.gateway import Gateway
from keybus.registry.server.queries import RegistryQueries
from keybus.registry.server.settings import RegistrySettings, load_users
from keybus.registry.server.state import RegistryState
from keybus.registry.server.store import KafkaStore, StoreTopics
from keybus.registry.server.topics import ensure_topics

__all__ = ["create_app", "serve"]

logger = logging.getLogger(__name__)


def create_app(settings: RegistrySettings) -> Gateway:
    """Build the ASGI application of one registry instance."""
    state = RegistryState()
    topics = topics_of(settings)
    store = KafkaStore(settings.bootstrap_servers, topics, state)
    queries = RegistryQueries(state, SchemaParser(state), settings.default_compatibility)
    role = PrimaryRole(store, settings.url, transactional_id=f"keybus-registry-{topics.schemas}")
    registry = Registry(
        queries=queries,
        commands=RegistryCommands(queries, store),
        store=store,
        role=role,
        forwarder=WriteForwarder(role, store, settings.forward_timeout_s),
    )
    app = FastAPI(
        title="keybus schema registry",
        version="1",
        lifespan=_lifespan(settings, registry),
        default_response_class=RegistryResponse,
    )
    app.state.registry = registry
    app.include_router(api.router)
    app.include_router(api_config.router)
    _add_error_handlers(app)
    users = load_users(settings.auth_file) if settings.auth_file else None
    return Gateway(app, state, users=users, max_request_bytes=settings.max_request_bytes)


def topics_of(settings: RegistrySettings) -> StoreTopics:
    """Return the schemas and coordination topics of `settings`."""
    return StoreTopics(settings.schemas_topic, settings.coordination)


def _lifespan(settings: RegistrySettings, registry: Registry):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        store, role = registry.store, registry.role
        await asyncio.to_thread(
            ensure_topics, settings.bootstrap_servers, store.topics, settings.replication_factor
        )
        await store.start(settings.startup_timeout_s)
        role.bind(asyncio.get_running_loop())
        election = PrimaryElection(
            settings.bootstrap_servers,
            store.topics.coordination,
            group_id=f"keybus-registry-{store.topics.schemas}",
            on_change=role.on_election_change,
        )
        election.start()
        logger.info(
            "Registry serving url=%s schemas_topic=%s schemas=%s",
            settings.url,
            store.topics.schemas,
            len(registry.queries.state.schemas_by_id),
        )
        try:
            yield
        finally:
            await asyncio.to_thread(election.stop)
            await registry.forwarder.close()
            await store.stop()
            logger.info("Registry stopped url=%s", settings.url)

    return lifespan


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RegistryServiceError)
    async def registry_error(_request: Request, exc: RegistryServiceError) -> Response:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        problems = exc.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return _error_response(ErrorCode.MALFORMED_REQUEST.error(detail="the body is not JSON"))
        detail = "; ".join(
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg')}"
            for problem in problems
        )
        return _error_response(ErrorCode.INVALID_REQUEST.error(detail=detail))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        path, method = request.url.path, request.method
        if exc.status_code == 405:
            return _error_response(ErrorCode.METHOD_NOT_ALLOWED.error(method=method, path=path))
        if exc.status_code == 404:
            return _error_response(ErrorCode.NOT_FOUND.error(path=path))
        body = {"error_code": exc.status_code, "message": str(exc.detail)}
        return RegistryResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.error(
            "Unexpected error method=%s path=%s", request.method, request.url.path, exc_info=exc
        )
        body = {
            "error_code": 50001,
            "message": f"Internal error: {type(exc).__name__}. See the registry log.",
        }
        return RegistryResponse(body, status_code=500)


def _error_response(error: RegistryServiceError) -> Response:
    return RegistryResponse(error.body(), status_code=error.http_status)


def serve(settings: RegistrySettings) -> None:
    """Run one registry instance until it is interrupted.

    Raises:
        BrokerUnavailableError: no Kafka broker could be reached, so nothing was started.
        ConfigurationError: a setting, the auth file or an existing topic is unusable.
    """
    app = create_app(settings)
    # Checked before uvicorn starts, because uvicorn logs a failed startup as a traceback.
    ensure_topics(settings.bootstrap_servers, topics_of(settings), settings.replication_factor)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",
        http="auto",
        access_log=False,
        log_config=None,
        lifespan="on",
    )
