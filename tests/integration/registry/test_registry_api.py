"""The registry's REST API over HTTP: paths, bodies, query parameters and error codes.

Real: the session's `keybus registry serve` subprocess on the session's Kafka.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from keybus.schemas import parse_avro

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
LINE = json.dumps({"type": "record", "name": "Line", "fields": [{"name": "sku", "type": "string"}]})
ORDER = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "line", "type": "Line"}]}
)


def _register(http: httpx.Client, subject: str, text: str, **body: Any) -> int:
    response = http.post(f"/subjects/{subject}/versions", json={"schema": text, **body})
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_root_types_and_contexts(http: httpx.Client) -> None:
    root = http.get("/")

    assert root.json() == {}
    assert root.headers["content-type"] == CONTENT_TYPE
    assert http.get("/schemas/types").json() == ["AVRO"]
    assert http.get("/contexts").json() == ["."]


def test_versions_and_schema_paths(http: httpx.Client, unique: Callable[[str], str]) -> None:
    subject = unique("paths-value")
    schema_id = _register(http, subject, LINE)
    canonical = parse_avro(LINE).text

    by_latest = http.get(f"/subjects/{subject}/versions/latest")
    by_minus_one = http.get(f"/subjects/{subject}/versions/-1")
    raw = http.get(f"/subjects/{subject}/versions/1/schema")
    raw_by_id = http.get(f"/schemas/ids/{schema_id}/schema")
    missing = http.get(f"/subjects/{subject}/versions/2")
    with_max = http.get(f"/schemas/ids/{schema_id}", params={"fetchMaxId": "true"})

    expected = {"subject": subject, "version": 1, "id": schema_id, "schema": canonical}
    assert by_latest.json() == expected
    assert by_minus_one.json() == expected
    assert raw.json() == json.loads(canonical)
    assert raw_by_id.json() == json.loads(canonical)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == 40402
    assert with_max.json()["maxId"] >= schema_id


def test_subject_listing_filters(http: httpx.Client, unique: Callable[[str], str]) -> None:
    kept, dropped = unique("listing-kept"), unique("listing-dropped")
    _register(http, kept, '"string"')
    _register(http, dropped, '"string"')
    http.delete(f"/subjects/{dropped}")
    prefix = kept.split("-kept")[0].rsplit("-", 1)[0]

    live = http.get("/subjects", params={"subjectPrefix": prefix}).json()
    with_deleted = http.get("/subjects", params={"subjectPrefix": prefix, "deleted": "true"}).json()
    only_deleted = http.get("/subjects", params={"deletedOnly": "true"}).json()

    assert kept in live
    assert dropped not in live
    assert dropped in with_deleted
    assert dropped in only_deleted
    assert kept not in only_deleted


def test_id_to_subjects_and_versions(http: httpx.Client, unique: Callable[[str], str]) -> None:
    first, second = unique("uses-a"), unique("uses-b")
    schema_id = _register(http, first, '"bytes"')
    _register(http, second, '"bytes"')
    http.delete(f"/subjects/{second}")

    subjects = http.get(f"/schemas/ids/{schema_id}/subjects").json()
    all_subjects = http.get(f"/schemas/ids/{schema_id}/subjects", params={"deleted": "true"}).json()
    versions = http.get(f"/schemas/ids/{schema_id}/versions").json()
    unknown = http.get("/schemas/ids/987654321")

    assert first in subjects
    assert second not in subjects
    assert second in all_subjects
    assert {"subject": first, "version": 1} in versions
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == 40403


def test_references_and_referenced_by(http: httpx.Client, unique: Callable[[str], str]) -> None:
    line_subject, order_subject = unique("line-value"), unique("order-value")
    _register(http, line_subject, LINE)
    reference = {"name": "Line", "subject": line_subject, "version": 1}
    order_id = _register(http, order_subject, ORDER, references=[reference])

    referenced_by = http.get(f"/subjects/{line_subject}/versions/1/referencedby")
    order = http.get(f"/schemas/ids/{order_id}")
    blocked = http.delete(f"/subjects/{line_subject}/versions/1")

    assert referenced_by.json() == [order_id]
    assert order.json()["references"] == [reference]
    assert blocked.status_code == 422
    assert blocked.json()["error_code"] == 42206
    assert order_subject in blocked.json()["message"]


def test_verbose_compatibility_messages(http: httpx.Client, unique: Callable[[str], str]) -> None:
    subject = unique("verbose-value")
    _register(http, subject, LINE)
    breaking = json.dumps(
        {"type": "record", "name": "Line", "fields": [{"name": "sku", "type": "int"}]}
    )

    plain = http.post(f"/compatibility/subjects/{subject}/versions", json={"schema": breaking})
    verbose = http.post(
        f"/compatibility/subjects/{subject}/versions/latest",
        json={"schema": breaking},
        params={"verbose": "true"},
    )
    fresh = http.post(
        f"/compatibility/subjects/{unique('fresh')}/versions/latest", json={"schema": breaking}
    )

    assert plain.json() == {"is_compatible": False}
    assert verbose.json()["is_compatible"] is False
    assert any("sku" in message for message in verbose.json()["messages"])
    assert fresh.json() == {"is_compatible": True}


def test_subject_mode_set_and_delete(http: httpx.Client, unique: Callable[[str], str]) -> None:
    subject = unique("mode-value")

    unset = http.get(f"/mode/{subject}")
    fallback = http.get(f"/mode/{subject}", params={"defaultToGlobal": "true"})
    put = http.put(f"/mode/{subject}", json={"mode": "READONLY"})
    rejected = http.post(f"/subjects/{subject}/versions", json={"schema": '"int"'})
    deleted = http.delete(f"/mode/{subject}")
    accepted = http.post(f"/subjects/{subject}/versions", json={"schema": '"int"'})

    assert unset.status_code == 404
    assert unset.json()["error_code"] == 40409
    assert fallback.json() == {"mode": "READWRITE"}
    assert put.json() == {"mode": "READONLY"}
    assert rejected.json()["error_code"] == 42205
    assert deleted.json() == {"mode": "READONLY"}
    assert accepted.status_code == 200


def test_unknown_path_and_method(http: httpx.Client) -> None:
    missing = http.get("/nothing/here")
    wrong_method = http.patch("/subjects")

    assert missing.status_code == 404
    assert missing.json()["error_code"] == 404
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error_code"] == 405


def test_concurrent_registrations(schema_registry: str, unique: Callable[[str], str]) -> None:
    shared = unique("concurrent-same")
    texts = [
        json.dumps({"type": "record", "name": f"R{index}", "fields": []}) for index in range(10)
    ]

    def register(index: int) -> tuple[int, int]:
        with httpx.Client(base_url=schema_registry, timeout=30.0) as client:
            same = client.post(f"/subjects/{shared}/versions", json={"schema": '"double"'})
            own = client.post(
                f"/subjects/{unique('concurrent')}-{index}/versions", json={"schema": texts[index]}
            )
        return int(same.json()["id"]), int(own.json()["id"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(register, range(10)))

    assert len({same for same, _ in results}) == 1
    assert len({own for _, own in results}) == 10
    versions = httpx.get(f"{schema_registry}/subjects/{shared}/versions").json()
    assert versions == [1]


def test_normalize_on_register(http: httpx.Client, unique: Callable[[str], str]) -> None:
    subject = unique("normalized-value")
    fields = [{"name": "a", "type": "string"}]
    first = {"type": "record", "name": "R", "fields": fields, "owner": "x", "tier": 1}
    reordered = {"type": "record", "name": "R", "fields": fields, "tier": 1, "owner": "x"}
    params = {"normalize": "true"}

    first_id = http.post(
        f"/subjects/{subject}/versions", json={"schema": json.dumps(first)}, params=params
    ).json()["id"]
    again_id = http.post(
        f"/subjects/{subject}/versions", json={"schema": json.dumps(reordered)}, params=params
    ).json()["id"]

    assert again_id == first_id
    assert http.get(f"/subjects/{subject}/versions").json() == [1]


def test_permanent_delete_drops_subject_settings(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    subject = unique("settings-value")
    _register(http, subject, '"float"')
    http.put(f"/config/{subject}", json={"compatibility": "NONE"})
    http.put(f"/mode/{subject}", json={"mode": "READWRITE"})

    http.delete(f"/subjects/{subject}")
    kept = http.get(f"/config/{subject}")
    http.delete(f"/subjects/{subject}", params={"permanent": "true"})
    config = http.get(f"/config/{subject}")
    mode = http.get(f"/mode/{subject}")

    assert kept.json() == {"compatibilityLevel": "NONE"}
    assert config.json()["error_code"] == 40408
    assert mode.json()["error_code"] == 40409


def test_schema_by_id_ignores_other_subject(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    subject = unique("orders-com.example.Line")
    schema_id = _register(http, subject, LINE)

    by_other = http.get(f"/schemas/ids/{schema_id}", params={"subject": unique("orders-value")})
    raw_by_other = http.get(f"/schemas/ids/{schema_id}/schema", params={"subject": "x-value"})
    unknown = http.get("/schemas/ids/987654321", params={"subject": subject})

    assert by_other.status_code == 200
    assert by_other.json()["schema"] == parse_avro(LINE).text
    assert raw_by_other.status_code == 200
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == 40403
