"""The ASGI layer in front of the API: authentication, request size and the read cache."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from keybus.registry.server.context import ENCODED_SLASH
from keybus.registry.server.errors import ErrorCode, RegistryServiceError
from keybus.registry.server.settings import User
from keybus.registry.server.state import RegistryState

__all__ = ["CONTENT_TYPE", "Gateway"]

logger = logging.getLogger(__name__)

CONTENT_TYPE = b"application/vnd.schemaregistry.v1+json"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_CACHE_ENTRIES = 10_000
# Bodies and keys of cached responses together stay under this, since one schema may be
# as large as the request limit.
_MAX_CACHE_BYTES = 64 * 1024 * 1024
# Reads that a read-only user may send with POST: a look-up and a compatibility test
# change nothing.
_READ_POSTS = ("/compatibility/",)
_UNCACHED_PATHS = frozenset({"/health", "/openapi.json", "/docs"})


class Gateway:
    """Check credentials and body size, then serve repeated reads from a cache.

    A cached response is the exact bytes the API sent for the same method, path, query
    and body. The cache is emptied whenever the state changes, so it never serves a
    response the API would not send now.
    """

    def __init__(
        self,
        app: ASGIApp,
        state: RegistryState,
        *,
        users: dict[str, User] | None,
        max_request_bytes: int,
    ) -> None:
        self._app = app
        self._state = state
        self._users = users
        self._max_request_bytes = max_request_bytes
        self._cache: dict[tuple[str, str, bytes, bytes], tuple[int, bytes]] = {}
        self._cache_bytes = 0
        self._cache_generation = -1
        self._credentials: dict[bytes, User | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or b""
        if b"%2f" in raw_path.lower():
            scope = {**scope, "path": _path_keeping_encoded_slashes(raw_path)}
        try:
            self._authorize(scope)
            body = await self._read_body(scope, receive)
        except RegistryServiceError as exc:
            await _send_error(send, exc)
            return
        if not self._is_cacheable(scope):
            await self._app(scope, _replay(body, receive), send)
            return
        if self._cache_generation != self._state.generation:
            self._clear_cache()
            self._cache_generation = self._state.generation
        key = (scope["method"], scope["path"], scope["query_string"], body)
        cached = self._cache.get(key)
        if cached is not None:
            await _send_bytes(send, cached[0], cached[1])
            return
        await self._app(scope, _replay(body, receive), self._capture(key, send))

    def _is_cacheable(self, scope: Scope) -> bool:
        method, path = scope["method"], scope["path"]
        if path in _UNCACHED_PATHS:
            return False
        return method == "GET" or (method == "POST" and _is_read_post(path))

    def _capture(self, key: tuple[str, str, bytes, bytes], send: Send) -> Send:
        generation = self._state.generation
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and status == 200:
                    self._store(key, generation, b"".join(chunks))
            await send(message)

        return capture

    def _store(self, key: tuple[str, str, bytes, bytes], generation: int, body: bytes) -> None:
        if generation != self._state.generation or generation != self._cache_generation:
            return
        size = len(body) + len(key[3]) + len(key[1]) + len(key[2])
        if len(self._cache) >= _MAX_CACHE_ENTRIES or self._cache_bytes + size > _MAX_CACHE_BYTES:
            self._clear_cache()
        self._cache[key] = (200, body)
        self._cache_bytes += size

    def _clear_cache(self) -> None:
        self._cache.clear()
        self._cache_bytes = 0

    def _authorize(self, scope: Scope) -> None:
        if self._users is None or scope["path"] == "/health":
            return
        header = _header(scope, b"authorization")
        user = self._credentials.get(header) if header else None
        if user is None and header:
            user = self._check_credentials(header)
            if len(self._credentials) < _MAX_CACHE_ENTRIES:
                self._credentials[header] = user
        if user is None:
            raise ErrorCode.UNAUTHORIZED.error()
        method, path = scope["method"], scope["path"]
        is_read = method in ("GET", "HEAD") or (method == "POST" and _is_read_post(path))
        if user.role == "read-only" and not is_read:
            raise ErrorCode.FORBIDDEN.error(user=user.name, method=method, path=path)

    def _check_credentials(self, header: bytes) -> User | None:
        scheme, _, encoded = header.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        assert self._users is not None
        user = self._users.get(name)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            logger.warning("Rejected credentials user=%s", name)
            return None
        return user

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self._max_request_bytes:
            raise self._too_large(int(declared))
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_request_bytes:
                raise self._too_large(size)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _too_large(self, size: int) -> RegistryServiceError:
        return ErrorCode.REQUEST_TOO_LARGE.error(size_bytes=size, max_bytes=self._max_request_bytes)


def _path_keeping_encoded_slashes(raw_path: bytes) -> str:
    """Decode a raw path, turning each `%2F` into the stand-in that routing keeps intact."""
    parts = re.split(b"%2[fF]", raw_path)
    return ENCODED_SLASH.join(unquote(part.decode("latin-1")) for part in parts)


def _is_read_post(path: str) -> bool:
    if path.startswith(_READ_POSTS):
        return True
    # POST /subjects/{subject} is a look-up, while POST /subjects/{subject}/versions registers.
    return path.startswith("/subjects/") and path.count("/") == 2


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_bytes(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, error: RegistryServiceError) -> None:
    body = json.dumps(error.body()).encode()
    extra = (
        [(b"www-authenticate", b'Basic realm="keybus-registry"')]
        if error.http_status == 401
        else None
    )
    await _send_bytes(send, error.http_status, body, extra)
