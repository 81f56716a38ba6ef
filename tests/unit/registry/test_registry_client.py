"""RegistryClient over HTTP against an httpx mock transport that answers like a registry."""

from __future__ import annotations

import json

import httpx
import pytest

from keybus.registry import (
    RegistryClient,
    RegistryError,
    RegistryUnavailableError,
    SchemaNotRegisteredError,
)
from keybus.types import SchemaId, Subject, Version

SCHEMA = '{"type":"record","name":"R","fields":[]}'


class FakeRegistryServer:
    """Answer the registry endpoints the client uses; `down` makes every request fail."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        self.calls.append(f"{request.method} {request.url.path}")
        path = request.url.path
        if path == "/schemas/ids/1":
            return httpx.Response(200, json={"schema": SCHEMA})
        if path.startswith("/schemas/ids/"):
            return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})
        if request.method == "POST" and path == "/subjects/orders-value/versions":
            return httpx.Response(200, json={"id": 1})
        if request.method == "POST" and path == "/subjects/orders-value":
            body = json.loads(request.content)
            return httpx.Response(
                200,
                json={"subject": "orders-value", "version": 1, "id": 1, "schema": body["schema"]},
            )
        if path == "/subjects/missing/versions":
            return httpx.Response(404, json={"error_code": 40401, "message": "Subject not found"})
        if path == "/config/orders-value":
            return httpx.Response(200, json={"compatibilityLevel": "FULL"})
        if path == "/compatibility/subjects/orders-value/versions/latest":
            return httpx.Response(
                200,
                json={"is_compatible": False, "messages": ["READER_FIELD_MISSING_DEFAULT_VALUE"]},
            )
        if path == "/subjects/boom/versions":
            return httpx.Response(500, json={"error_code": 50001, "message": "store failed"})
        return httpx.Response(404, json={"error_code": 40401, "message": "no route"})


@pytest.fixture
def server() -> FakeRegistryServer:
    return FakeRegistryServer()


@pytest.fixture
def client(server: FakeRegistryServer) -> RegistryClient:
    return RegistryClient("http://registry.test:8081/", transport=httpx.MockTransport(server))


def test_schema_by_id_cached(client: RegistryClient, server: FakeRegistryServer) -> None:
    client.get_schema(SchemaId(1))
    client.get_schema(SchemaId(1))

    assert server.calls == ["GET /schemas/ids/1"]


def test_cached_schema_survives_outage(client: RegistryClient, server: FakeRegistryServer) -> None:
    client.get_schema(SchemaId(1))
    client.register(Subject("orders-value"), SCHEMA)
    server.down = True

    assert client.get_schema(SchemaId(1)) == SCHEMA
    assert client.register(Subject("orders-value"), SCHEMA) == 1


def test_uncached_schema_during_outage_names_url(
    client: RegistryClient, server: FakeRegistryServer
) -> None:
    server.down = True

    with pytest.raises(RegistryUnavailableError) as caught:
        client.get_schema(SchemaId(2))

    assert caught.value.retryable
    assert "http://registry.test:8081" in str(caught.value)
    assert "Check that the registry is running" in str(caught.value)


def test_register_cached_across_spellings(
    client: RegistryClient, server: FakeRegistryServer
) -> None:
    client.register(Subject("orders-value"), SCHEMA)
    client.register(Subject("orders-value"), '{"fields": [], "name": "R", "type": "record"}')

    assert server.calls == ["POST /subjects/orders-value/versions"]


def test_lookup_fills_id_cache(client: RegistryClient, server: FakeRegistryServer) -> None:
    found = client.lookup(Subject("orders-value"), SCHEMA)
    server.down = True

    assert found.version == Version(1)
    assert client.get_schema(found.schema_id) == SCHEMA


def test_unknown_schema_id_is_not_registered_error(client: RegistryClient) -> None:
    with pytest.raises(SchemaNotRegisteredError) as caught:
        client.get_schema(SchemaId(7))

    assert caught.value.error_code == 40403
    assert caught.value.http_status == 404


def test_versions_of_missing_subject_empty(client: RegistryClient) -> None:
    assert client.get_versions(Subject("missing")) == []


def test_server_error_is_retryable_registry_error(client: RegistryClient) -> None:
    with pytest.raises(RegistryError) as caught:
        client.get_versions(Subject("boom"))

    assert caught.value.retryable
    assert caught.value.error_code == 50001
    assert "store failed" in str(caught.value)


def test_compatibility_level_of_subject(client: RegistryClient) -> None:
    assert client.get_compatibility(Subject("orders-value")) == "FULL"


def test_compatibility_result_carries_messages(client: RegistryClient) -> None:
    result = client.test_compatibility(Subject("orders-value"), SCHEMA)

    assert not result.is_compatible
    assert result.messages == ("READER_FIELD_MISSING_DEFAULT_VALUE",)
