"""The ASGI gateway: basic authentication, request size and the read cache.

The API behind the gateway is a small fake ASGI app that counts its calls. The gateway
itself is real and is driven through httpx's ASGI transport.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from keybus.registry.server.gateway import Gateway
from keybus.registry.server.records import ConfigRecord
from keybus.registry.server.settings import User
from keybus.registry.server.state import RegistryState

USERS = {
    "reader": User("reader", "r-pass", "read-only"),
    "writer": User("writer", "w-pass", "read-write"),
}


class CountingApp:
    """Respond 200 with the request path, or 404 for paths under /missing."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        message = await receive()
        status = 404 if scope["path"].startswith("/missing") else 200
        body = json.dumps({"path": scope["path"], "body": message["body"].decode()}).encode()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _send(gateway: Gateway, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(call())


@pytest.fixture
def app() -> CountingApp:
    return CountingApp()


def test_repeated_read_served_from_cache(app: CountingApp) -> None:
    state = RegistryState()
    gateway = Gateway(app, state, users=None, max_request_bytes=1024)

    first = _send(gateway, "GET", "/schemas/ids/1")
    second = _send(gateway, "GET", "/schemas/ids/1")
    state.apply(ConfigRecord(None, "FULL"))
    after_change = _send(gateway, "GET", "/schemas/ids/1")

    assert first.content == second.content == after_change.content
    assert second.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    assert app.calls == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/subjects/s/versions"),
        ("GET", "/missing/1"),
        ("GET", "/health"),
        ("DELETE", "/subjects/s"),
    ],
    ids=["register", "not-found", "health", "delete"],
)
def test_writes_errors_and_health_not_cached(app: CountingApp, method: str, path: str) -> None:
    gateway = Gateway(app, RegistryState(), users=None, max_request_bytes=1024)

    _send(gateway, method, path)
    _send(gateway, method, path)

    assert app.calls == 2


def test_look_up_cached_per_body(app: CountingApp) -> None:
    gateway = Gateway(app, RegistryState(), users=None, max_request_bytes=1024)

    first = _send(gateway, "POST", "/subjects/s", content=b'{"schema":"1"}')
    _send(gateway, "POST", "/subjects/s", content=b'{"schema":"1"}')
    other = _send(gateway, "POST", "/subjects/s", content=b'{"schema":"2"}')

    assert first.json()["body"] == '{"schema":"1"}'
    assert other.json()["body"] == '{"schema":"2"}'
    assert app.calls == 2


@pytest.mark.parametrize(
    ("auth", "method", "path", "status"),
    [
        (None, "GET", "/subjects", 401),
        (("reader", "wrong"), "GET", "/subjects", 401),
        (("nobody", "r-pass"), "GET", "/subjects", 401),
        (None, "GET", "/health", 200),
        (("reader", "r-pass"), "GET", "/subjects", 200),
        (("reader", "r-pass"), "POST", "/subjects/s", 200),
        (("reader", "r-pass"), "POST", "/compatibility/subjects/s/versions/latest", 200),
        (("reader", "r-pass"), "POST", "/subjects/s/versions", 403),
        (("reader", "r-pass"), "PUT", "/config", 403),
        (("reader", "r-pass"), "DELETE", "/subjects/s", 403),
        (("writer", "w-pass"), "POST", "/subjects/s/versions", 200),
    ],
)
def test_roles(
    app: CountingApp, auth: tuple[str, str] | None, method: str, path: str, status: int
) -> None:
    gateway = Gateway(app, RegistryState(), users=USERS, max_request_bytes=1024)

    response = _send(gateway, method, path, auth=auth, content=b"{}")

    assert response.status_code == status
    if status >= 400:
        assert response.json()["error_code"] == status
        assert app.calls == 0


def test_unauthorized_names_scheme(app: CountingApp) -> None:
    gateway = Gateway(app, RegistryState(), users=USERS, max_request_bytes=1024)

    response = _send(gateway, "GET", "/subjects", headers={"Authorization": "Bearer token"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="keybus-registry"'


def test_body_over_limit_rejected(app: CountingApp) -> None:
    gateway = Gateway(app, RegistryState(), users=None, max_request_bytes=1024)

    declared = _send(gateway, "POST", "/subjects/s/versions", content=b"x" * 2048)

    async def chunks() -> Any:
        for _ in range(4):
            yield b"y" * 400

    streamed = _send(gateway, "POST", "/subjects/s/versions", content=chunks())

    assert declared.status_code == 413
    assert "2048 bytes" in declared.json()["message"]
    assert "--max-request-bytes" in declared.json()["message"]
    assert streamed.status_code == 413
    assert app.calls == 0


def test_encoded_slash_kept_in_segment(app: CountingApp) -> None:
    gateway = Gateway(app, RegistryState(), users=None, max_request_bytes=1024)

    response = _send(gateway, "GET", "/subjects/team%2Forders%20value/versions")

    assert response.json()["path"] == "/subjects/team\x00orders value/versions"
