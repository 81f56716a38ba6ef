"""Basic authentication with read-only and read-write roles, the request size limit, and
rejected requests that must leave the store untouched.

Real: a `keybus registry serve` subprocess with an auth file, and the session's Kafka.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from keybus.testing.backends import KafkaEndpoint
from keybus.testing.registry import RegistryProcess, start_registry

ORDER = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}
)
READER = ("reader", "reader-secret")
WRITER = ("writer", "writer:secret")
MAX_REQUEST_BYTES = 4096


@pytest.fixture(scope="module")
def secured(
    kafka: KafkaEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RegistryProcess]:
    """Start a registry that requires basic authentication and limits request size."""
    log_dir = tmp_path_factory.mktemp("secured-registry")
    auth_file = log_dir / "users"
    auth_file.write_text(
        "# user:password:role\n"
        f"{READER[0]}:{READER[1]}:read-only\n"
        f"{WRITER[0]}:{WRITER[1]}:read-write\n"
    )
    arguments = ["--auth-file", str(auth_file), "--max-request-bytes", str(MAX_REQUEST_BYTES)]
    registry = start_registry(kafka.bootstrap_servers, log_dir=log_dir, extra_args=arguments)
    try:
        registry.wait_ready(primary=True)
        yield registry
    finally:
        registry.stop()


@pytest.fixture
def writer(secured: RegistryProcess) -> Iterator[httpx.Client]:
    """Provide a client with the read-write role."""
    with httpx.Client(base_url=secured.url, auth=WRITER, timeout=30.0) as client:
        yield client


def _end_offset(kafka: KafkaEndpoint, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"{topic}-x"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10.0)[1])
    finally:
        consumer.close()


def test_missing_credentials_rejected(secured: RegistryProcess) -> None:
    anonymous = httpx.get(f"{secured.url}/subjects")
    wrong = httpx.get(f"{secured.url}/subjects", auth=(READER[0], "guess"))
    health = httpx.get(f"{secured.url}/health")

    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert wrong.status_code == 401
    assert health.status_code == 200


def test_read_only_role_reads_but_cannot_write(
    secured: RegistryProcess, writer: httpx.Client, unique: Callable[[str], str]
) -> None:
    subject = unique("orders-value")
    writer.post(f"/subjects/{subject}/versions", json={"schema": ORDER})
    with httpx.Client(base_url=secured.url, auth=READER, timeout=30.0) as reader:
        listed = reader.get("/subjects")
        looked_up = reader.post(f"/subjects/{subject}", json={"schema": ORDER})
        tested = reader.post(
            f"/compatibility/subjects/{subject}/versions/latest", json={"schema": ORDER}
        )
        registered = reader.post("/subjects/other-value/versions", json={"schema": ORDER})
        configured = reader.put("/config", json={"compatibility": "NONE"})
        deleted = reader.delete(f"/subjects/{subject}")

    assert subject in listed.json()
    assert looked_up.status_code == 200
    assert tested.json() == {"is_compatible": True}
    for response in (registered, configured, deleted):
        assert response.status_code == 403, response.text
        assert response.json()["error_code"] == 403
        assert "read-only" in response.json()["message"]
    assert subject in writer.get("/subjects").json()


def test_confluent_client_with_basic_auth(
    secured: RegistryProcess, unique: Callable[[str], str]
) -> None:
    client = SchemaRegistryClient(
        {"url": secured.url, "basic.auth.user.info": f"{WRITER[0]}:{WRITER[1]}"}
    )

    schema_id = client.register_schema(unique("orders-value"), Schema(ORDER, "AVRO"))

    assert client.get_schema(schema_id).schema_str is not None
    client.close()


def test_oversized_request_rejected(
    secured: RegistryProcess, writer: httpx.Client, kafka: KafkaEndpoint
) -> None:
    fields = [{"name": f"field_{index}", "type": "string"} for index in range(200)]
    large = json.dumps({"type": "record", "name": "Large", "fields": fields})
    before = _end_offset(kafka, secured.schemas_topic)

    response = writer.post("/subjects/large-value/versions", json={"schema": large})

    assert len(large) > MAX_REQUEST_BYTES
    assert response.status_code == 413
    assert response.json()["error_code"] == 413
    assert str(MAX_REQUEST_BYTES) in response.json()["message"]
    assert _end_offset(kafka, secured.schemas_topic) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error_code"),
    [
        ("POST", "/subjects/bad-value/versions", b"{not json", 400, 400),
        (
            "POST",
            "/subjects/bad-value/versions",
            b'{"schema": "{\\"type\\": \\"nope\\"}"}',
            422,
            42201,
        ),
        ("POST", "/subjects/bad-value/versions", b'{"schema": 5}', 422, 422),
        ("POST", "/subjects/bad-value/versions", b'{"schema": "\\"int\\"", "id": 9}', 422, 42205),
        ("PUT", "/config", b'{"compatibility": "SIDEWAYS"}', 422, 42203),
        ("PUT", "/mode", b'{"mode": "WRITEONLY"}', 422, 42204),
        ("DELETE", "/subjects/missing-value", b"", 404, 40401),
        ("DELETE", "/subjects/missing-value/versions/abc", b"", 422, 42202),
    ],
    ids=[
        "malformed-json",
        "invalid-schema",
        "schema-not-string",
        "id-outside-import",
        "invalid-level",
        "invalid-mode",
        "missing-subject",
        "invalid-version",
    ],
)
def test_rejected_request_leaves_store_unchanged(  # noqa: PLR0917 - pytest parameters
    secured: RegistryProcess,
    writer: httpx.Client,
    kafka: KafkaEndpoint,
    method: str,
    path: str,
    body: bytes,
    status: int,
    error_code: int,
) -> None:
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    before = _end_offset(kafka, secured.schemas_topic)

    response = writer.request(method, path, content=body, headers=headers)

    assert response.status_code == status, response.text
    assert response.json()["error_code"] == error_code
    assert response.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    assert _end_offset(kafka, secured.schemas_topic) == before
