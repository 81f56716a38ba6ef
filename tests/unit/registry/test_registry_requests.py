"""Checks of request bodies and path values, before the registry does any work.

Pure functions; no broker.
"""

from __future__ import annotations

import pytest

from keybus.registry.server.errors import RegistryServiceError
from keybus.registry.server.requests import (
    LATEST,
    parse_bool,
    parse_schema_id,
    parse_schema_request,
    parse_version,
)
from keybus.types import Subject

SUBJECT = Subject("orders-value")


@pytest.mark.parametrize(
    ("raw", "expected"), [("latest", LATEST), ("-1", LATEST), ("1", 1), ("2147483647", 2**31 - 1)]
)
def test_version_accepted(raw: str, expected: int) -> None:
    assert parse_version(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-2", "abc", "2147483648", "1.5"])
def test_version_rejected_with_42202(raw: str) -> None:
    with pytest.raises(RegistryServiceError) as raised:
        parse_version(raw)

    assert raised.value.error_code == 42202
    assert raised.value.http_status == 422
    assert repr(raw)[1:-1] in raised.value.message


@pytest.mark.parametrize("raw", ["x", "-1", "2147483648"])
def test_schema_id_out_of_range_not_found(raw: str) -> None:
    with pytest.raises(RegistryServiceError) as raised:
        parse_schema_id(raw)

    assert raised.value.error_code == 40403


@pytest.mark.parametrize(
    ("raw", "expected"), [("True", True), ("false", False), ("1", True), (None, False)]
)
def test_bool_as_clients_send_it(raw: str | None, expected: bool) -> None:
    assert parse_bool(raw) is expected


def test_schema_request_fields() -> None:
    body = {
        "schema": '"string"',
        "references": [{"name": "Line", "subject": "line-value", "version": 2}],
        "id": 10,
        "version": -1,
        "metadata": None,
    }

    request = parse_schema_request(SUBJECT, body)

    assert request.schema_type == "AVRO"
    assert request.references[0].subject == "line-value"
    assert request.schema_id == 10
    assert request.version is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "JSON object"),
        ({"schema": ""}, "non-empty string"),
        ({"schema": '"int"', "schemaType": "PROTOBUF"}, "'PROTOBUF' is not supported"),
        ({"schema": '"int"', "references": {}}, "list of"),
        (
            {"schema": '"int"', "references": [{"name": "A", "subject": "s", "version": 0}]},
            "from 1",
        ),
        ({"schema": '"int"', "id": "7"}, "field 'id'"),
        ({"schema": '"int"', "version": True}, "field 'version'"),
    ],
    ids=[
        "not-object",
        "empty",
        "protobuf",
        "references-object",
        "reference-version",
        "id-string",
        "version-bool",
    ],
)
def test_schema_request_rejected_with_42201(body: object, expected: str) -> None:
    with pytest.raises(RegistryServiceError) as raised:
        parse_schema_request(SUBJECT, body)

    assert raised.value.error_code == 42201
    assert expected in raised.value.message
    assert "orders-value" in raised.value.message
