"""Forward write requests from a replica to the primary, found through Kafka."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
from starlette.requests import Request
from starlette.responses import Response

from keybus.registry.server.election import PrimaryRole
from keybus.registry.server.errors import ErrorCode, RegistryServiceError
from keybus.registry.server.store import KafkaStore

__all__ = ["FORWARDED_HEADER", "OFFSET_HEADER", "WriteForwarder"]

logger = logging.getLogger(__name__)

FORWARDED_HEADER = "x-keybus-forwarded"
OFFSET_HEADER = "x-keybus-schemas-offset"
"""The offset after the primary's write, which a replica applies before it responds."""

_PASSED_HEADERS = ("content-type", "authorization", "accept")
_RETRY_INTERVAL_S = 0.5


class WriteForwarder:
    """Decide whether this instance handles a write, and forward it when it does not."""

    def __init__(self, role: PrimaryRole, store: KafkaStore, timeout_s: float) -> None:
        self._role = role
        self._store = store
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def forward(self, request: Request) -> Response | None:
        """Return the primary's response to a write, or None to handle it here.

        While no primary accepts connections, for example during a failover, the write
        waits up to the forwarding timeout for a new primary instead of failing at once.
        """
        deadline = time.monotonic() + self._timeout_s
        attempt = 0
        while True:
            if self._role.is_primary:
                return None
            if self._role.is_elected and await self._role.wait_ready(self._timeout_s):
                return None
            primary_url = self._primary_url(request)
            if primary_url is not None:
                try:
                    response = await self._send(request, primary_url)
                except httpx.ConnectError as exc:
                    # The connection was refused, so the primary saw nothing of this write.
                    reason = f"{primary_url} refused the connection ({exc!r})"
                    self._give_up_after(deadline, reason, attempt)
                else:
                    return await self._relay(response)
            else:
                reason = "no other instance has announced itself yet"
                self._give_up_after(deadline, reason, attempt)
            attempt += 1
            await asyncio.sleep(_RETRY_INTERVAL_S)

    def _primary_url(self, request: Request) -> str | None:
        primary = self._store.primary
        if primary is None or primary.instance_id == self._role.instance_id:
            return None
        if request.headers.get(FORWARDED_HEADER):
            raise ErrorCode.UNKNOWN_PRIMARY.error(
                detail=f"a write forwarded to {primary.url} reached an instance that is not "
                "the primary"
            )
        return primary.url

    def _give_up_after(self, deadline: float, reason: str, attempt: int) -> None:
        if time.monotonic() >= deadline:
            logger.warning("Forwarding a write gave up after attempts=%s: %s", attempt + 1, reason)
            raise ErrorCode.UNKNOWN_PRIMARY.error(
                detail=f"{reason}, and no new primary took over within {self._timeout_s} s"
            )
        if attempt == 0:
            logger.warning("Waiting for a primary to forward a write to: %s", reason)

    async def _relay(self, response: httpx.Response) -> Response:
        offset = response.headers.get(OFFSET_HEADER)
        if offset is not None and offset.isdigit():
            try:
                await self._store.wait_schemas_offset(int(offset), self._timeout_s)
            except RegistryServiceError:
                logger.warning("Replica lags behind the primary's write offset=%s", offset)
        return Response(
            content=response.content,
            status_code=response.status_code,
            media_type=response.headers.get("content-type"),
        )

    async def _send(self, request: Request, primary_url: str) -> httpx.Response:
        headers = {
            name: request.headers[name] for name in _PASSED_HEADERS if name in request.headers
        }
        headers[FORWARDED_HEADER] = "1"
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        url = primary_url.rstrip("/") + raw_path.decode("latin-1")
        try:
            return await self._client.request(
                request.method,
                url,
                params=request.url.query,
                content=await request.body(),
                headers=headers,
            )
        except httpx.ConnectError:
            raise
        except httpx.HTTPError as exc:
            logger.warning("Forwarding a write failed primary_url=%s error=%r", primary_url, exc)
            raise ErrorCode.FORWARDING_FAILED.error(
                detail=f"{primary_url} did not answer ({exc!r}). "
                "Retry once a new primary is elected."
            ) from exc
