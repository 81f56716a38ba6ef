"""Cases from public bug reports, over HTTP against a real keybus registry on real Kafka.

Nothing is faked: each test talks to `keybus registry serve` subprocesses that store
their state in the session's Kafka.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from keybus.schemas import parse_avro
from keybus.testing.registry import RegistryFactory


def record(name: str, fields: list[dict[str, Any]], **extra: Any) -> str:
    """Return the JSON text of an Avro record schema."""
    return json.dumps({"type": "record", "name": name, "fields": fields, **extra})


def schema_body(text: str, **extra: Any) -> dict[str, Any]:
    """Return the body of a register or look-up request."""
    return {"schema": text, **extra}


USER_V1 = record("User", [{"name": "id", "type": "string"}])
USER_EMAIL = record("User", [{"name": "id", "type": "string"}, {"name": "email", "type": "string"}])
USER_EMAIL_DEFAULT = record(
    "User",
    [{"name": "id", "type": "string"}, {"name": "email", "type": "string", "default": ""}],
)


def _register(http: httpx.Client, subject: str, text: str, **params: Any) -> httpx.Response:
    return http.post(f"/subjects/{subject}/versions", json=schema_body(text), params=params)


def _ticket(symbols: list[str], **enum_extra: Any) -> str:
    state = {"type": "enum", "name": "State", "symbols": symbols, **enum_extra}
    return record("Ticket", [{"name": "state", "type": state}])


class TestBackwardChecksOnlyLatest:
    """B02: BACKWARD compares with the latest version, *_TRANSITIVE with all."""

    def test_backward_accepts_step_four(
        self, http: httpx.Client, unique: Callable[[str], str]
    ) -> None:
        subject = unique("users-value")

        first = _register(http, subject, USER_V1)
        step2 = _register(http, subject, USER_EMAIL)
        step3 = _register(http, subject, USER_EMAIL_DEFAULT)
        step4 = _register(http, subject, USER_EMAIL)

        assert first.status_code == 200
        assert step2.status_code == 409, step2.text
        assert step2.json()["error_code"] == 40901
        assert "email" in step2.json()["message"]
        assert step3.status_code == 200, step3.text
        assert step4.status_code == 200, step4.text
        assert http.get(f"/subjects/{subject}/versions").json() == [1, 2, 3]

    def test_transitive_rejects_step_four(
        self, http: httpx.Client, unique: Callable[[str], str]
    ) -> None:
        subject = unique("users-value")
        put = http.put(f"/config/{subject}", json={"compatibility": "BACKWARD_TRANSITIVE"})

        first = _register(http, subject, USER_V1)
        step2 = _register(http, subject, USER_EMAIL)
        step3 = _register(http, subject, USER_EMAIL_DEFAULT)
        step4 = _register(http, subject, USER_EMAIL)

        assert put.json() == {"compatibility": "BACKWARD_TRANSITIVE"}
        assert first.status_code == 200
        assert step2.status_code == 409
        assert step3.status_code == 200
        assert step4.status_code == 409, step4.text
        assert "previous schema 1 of 2" in step4.json()["message"]
        assert http.get(f"/subjects/{subject}/versions").json() == [1, 2]

    def test_config_subject_and_global_fallback(
        self, http: httpx.Client, unique: Callable[[str], str]
    ) -> None:
        configured, unset = unique("configured-value"), unique("unset-value")
        http.put(f"/config/{configured}", json={"compatibility": "BACKWARD_TRANSITIVE"})
        global_level = http.get("/config").json()["compatibilityLevel"]

        subject_level = http.get(f"/config/{configured}")
        fallback = http.get(f"/config/{unset}", params={"defaultToGlobal": "true"})
        not_configured = http.get(f"/config/{unset}")

        assert subject_level.json() == {"compatibilityLevel": "BACKWARD_TRANSITIVE"}
        assert fallback.json() == {"compatibilityLevel": global_level}
        assert not_configured.status_code == 404
        assert not_configured.json()["error_code"] == 40408


V1_SYMBOLS = ["OPEN", "PENDING", "DONE"]
REMOVED = ["OPEN", "DONE"]
ADDED = ["OPEN", "PENDING", "DONE", "ARCHIVED"]


class TestEnumEvolution:
    """B03: removing or adding enum symbols, per level, and reader enum defaults."""

    @pytest.mark.parametrize(
        ("level", "symbols", "expected_status"),
        [
            ("FULL", REMOVED, 409),
            ("FULL", ADDED, 409),
            ("BACKWARD", REMOVED, 409),
            ("BACKWARD", ADDED, 200),
            ("FORWARD", REMOVED, 200),
            ("FORWARD", ADDED, 409),
        ],
    )
    def test_symbol_change_per_level(
        self,
        http: httpx.Client,
        unique: Callable[[str], str],
        level: str,
        symbols: list[str],
        expected_status: int,
    ) -> None:
        subject = unique(f"ticket-{level.lower()}")
        http.put(f"/config/{subject}", json={"compatibility": level})
        assert _register(http, subject, _ticket(V1_SYMBOLS)).status_code == 200
        test_url = f"/compatibility/subjects/{subject}/versions/latest"

        tested = http.post(test_url, json=schema_body(_ticket(symbols)))
        response = _register(http, subject, _ticket(symbols))

        assert response.status_code == expected_status, response.text
        assert tested.json() == {"is_compatible": expected_status == 200}

    def test_reader_enum_default_absorbs_removal(
        self, http: httpx.Client, unique: Callable[[str], str]
    ) -> None:
        subject = unique("ticket-default")
        http.put(f"/config/{subject}", json={"compatibility": "BACKWARD"})
        _register(http, subject, _ticket(V1_SYMBOLS))

        response = _register(http, subject, _ticket(REMOVED, default="OPEN"))

        assert response.status_code == 200, response.text


class TestInvalidDefaults:
    """B04: defaults that do not match their type are rejected with 42201, never 500."""

    @pytest.mark.parametrize(
        ("name", "field"),
        [
            ("Code", {"name": "value", "type": "string", "default": None}),
            ("Ref", {"name": "ref", "type": ["string", "long"], "default": 10}),
            ("Tag", {"name": "tag", "type": ["string", "null"], "default": {"string": "x"}}),
        ],
        ids=["null-for-string", "long-for-string-first-union", "union-json-encoding"],
    )
    def test_invalid_default_rejected(
        self, http: httpx.Client, unique: Callable[[str], str], name: str, field: dict[str, Any]
    ) -> None:
        subject = unique(f"{name.lower()}-value")

        response = _register(http, subject, record(f"com.example.{name}", [field]))

        assert response.status_code == 422, response.text
        assert response.json()["error_code"] == 42201
        assert field["name"] in response.json()["message"]
        assert http.get(f"/subjects/{subject}/versions").status_code == 404

    @pytest.mark.parametrize(
        "field",
        [
            {"name": "ref", "type": ["long", "string"], "default": 10},
            {"name": "ref", "type": ["null", "string"], "default": None},
            {"name": "ref", "type": "string", "default": ""},
        ],
        ids=["long-first", "null-first", "empty-string"],
    )
    def test_valid_default_accepted(
        self, http: httpx.Client, unique: Callable[[str], str], field: dict[str, Any]
    ) -> None:
        response = _register(http, unique("valid-default-value"), record("Valid", [field]))

        assert response.status_code == 200, response.text


ORDER = record("com.example.Order", [{"name": "id", "type": "string"}])


class TestDeleteAndReregister:
    """B05: soft delete, permanent delete, re-registration and restart."""

    def test_delete_lifecycle_across_restart(
        self, registry_factory: RegistryFactory, unique: Callable[[str], str]
    ) -> None:
        topic = unique("_schemas-b05")
        registry = registry_factory(schemas_topic=topic)
        with httpx.Client(base_url=registry.url, timeout=30.0) as http:
            schema_id = self._soft_delete_keeps_id(http)
            self._reregister_gets_new_version(http, schema_id)
            self._permanent_delete_needs_soft_delete(http)
        registry.stop()

        restarted = registry_factory(schemas_topic=topic)
        with httpx.Client(base_url=restarted.url, timeout=30.0) as http:
            again = _register(http, "orders-value", ORDER)
            versions = http.get("/subjects/orders-value/versions")

        assert again.status_code == 200, again.text
        assert again.json() == {"id": schema_id}
        assert versions.json() == [1]

    def _soft_delete_keeps_id(self, http: httpx.Client) -> int:
        schema_id = _register(http, "orders-value", ORDER).json()["id"]
        audit = _register(http, "audit-value", ORDER).json()["id"]

        deleted = http.delete("/subjects/orders-value")
        subjects = http.get("/subjects").json()
        by_id = http.get(f"/schemas/ids/{schema_id}")
        versions = http.get("/subjects/orders-value/versions")
        second_delete = http.delete("/subjects/orders-value")

        assert audit == schema_id
        assert deleted.json() == [1]
        assert "orders-value" not in subjects
        assert by_id.json() == {"schema": parse_avro(ORDER).text}
        assert versions.status_code == 404
        assert versions.json()["error_code"] == 40401
        assert second_delete.status_code == 404
        assert second_delete.json()["error_code"] == 40404
        return int(schema_id)

    def _reregister_gets_new_version(self, http: httpx.Client, schema_id: int) -> None:
        again = _register(http, "orders-value", ORDER)
        versions = http.get("/subjects/orders-value/versions")
        with_deleted = http.get("/subjects/orders-value/versions", params={"deleted": "true"})

        assert again.json() == {"id": schema_id}
        assert versions.json() == [2]
        assert with_deleted.json() == [1, 2]

    def _permanent_delete_needs_soft_delete(self, http: httpx.Client) -> None:
        premature = http.delete("/subjects/orders-value", params={"permanent": "true"})
        soft = http.delete("/subjects/orders-value")
        permanent = http.delete("/subjects/orders-value", params={"permanent": "true"})
        purged = http.get("/subjects/orders-value/versions", params={"deleted": "true"})

        assert premature.status_code == 404
        assert premature.json()["error_code"] == 40405
        assert soft.json() == [2]
        assert permanent.json() == [1, 2]
        assert purged.status_code == 404


S1 = record("com.example.Key", [{"name": "k", "type": "string"}])
S2 = record("com.example.Other", [{"name": "o", "type": "long"}])
S3 = record("com.example.Third", [{"name": "t", "type": "int"}])


class TestImportMode:
    """B08: an id is bound to exactly one schema text forever, also in IMPORT mode."""

    def test_import_binds_id_to_one_schema(self, registry_factory: RegistryFactory) -> None:
        registry = registry_factory()
        with httpx.Client(base_url=registry.url, timeout=30.0) as http:
            mode = http.put("/mode", json={"mode": "IMPORT"})
            imported = http.post(
                "/subjects/keys-value/versions", json=schema_body(S1, id=100002, version=1)
            )
            overwrite = http.post("/subjects/other-value/versions", json=schema_body(S2, id=100002))
            still_s1 = http.get("/schemas/ids/100002")
            same_content = http.post(
                "/subjects/third-value/versions", json=schema_body(S1, id=100002)
            )
            http.put("/mode", json={"mode": "READWRITE"})
            explicit_id = http.post("/subjects/fourth-value/versions", json=schema_body(S3, id=7))
            plain = _register(http, "fourth-value", S3)
            http.put("/mode", json={"mode": "READONLY"})
            read_only = _register(http, "fifth-value", S2)
            reads = http.get("/subjects")

        assert mode.json() == {"mode": "IMPORT"}
        assert imported.json() == {"id": 100002}
        assert overwrite.status_code == 422
        assert overwrite.json()["error_code"] == 42205
        assert "100002" in overwrite.json()["message"]
        assert still_s1.json() == {"schema": parse_avro(S1).text}
        assert same_content.json() == {"id": 100002}
        assert explicit_id.status_code == 422
        assert explicit_id.json()["error_code"] == 42205
        assert plain.status_code == 200
        assert plain.json()["id"] not in (100002, 7)
        assert read_only.status_code == 422
        assert read_only.json()["error_code"] == 42205
        assert reads.json() == ["fourth-value", "keys-value", "third-value"]

    def test_import_accepts_invalid_default(self, registry_factory: RegistryFactory) -> None:
        registry = registry_factory()
        invalid = record("com.example.Code", [{"name": "v", "type": "string", "default": None}])
        with httpx.Client(base_url=registry.url, timeout=30.0) as http:
            http.put("/mode", json={"mode": "IMPORT"})

            response = http.post("/subjects/code-value/versions", json=schema_body(invalid, id=5))

        assert response.json() == {"id": 5}


class TestEquivalentSpellings:
    """B09: canonical text on read, same id for equivalent spellings on look-up."""

    def test_primitive_spellings_share_id(
        self, http: httpx.Client, unique: Callable[[str], str]
    ) -> None:
        subject = unique("k-key")
        schema_id = _register(http, subject, '{"type":"string"}').json()["id"]

        by_id = http.get(f"/schemas/ids/{schema_id}")
        again = _register(http, subject, '"string"')
        lookup = http.post(f"/subjects/{subject}", json=schema_body('"string"'))

        assert by_id.json() == {"schema": '"string"'}
        assert again.json() == {"id": schema_id}
        assert lookup.json()["version"] == 1
        assert lookup.json()["id"] == schema_id
        assert http.get(f"/subjects/{subject}/versions").json() == [1]

    def test_reordered_properties_need_normalize(
        self, http: httpx.Client, unique: Callable[[str], str]
    ) -> None:
        subject = unique("r-value")
        fields = [{"name": "a", "type": "string"}]
        _register(http, subject, record("R", fields, owner="x", tier=1))
        reordered = record("R", fields, tier=1, owner="x")

        plain = http.post(f"/subjects/{subject}", json=schema_body(reordered))
        normalized = http.post(
            f"/subjects/{subject}", json=schema_body(reordered), params={"normalize": "true"}
        )

        assert plain.status_code == 404
        assert plain.json()["error_code"] == 40403
        assert normalized.status_code == 200, normalized.text
        assert normalized.json()["version"] == 1
