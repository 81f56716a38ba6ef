"""The target topic check's reading of registry subjects, the catalog, and its message.

The registry is faked with an httpx MockTransport that serves fixed subjects and
versions. The catalog is the real generated one, plus a folder that a test writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from keybus.importer.target import (
    RecordSample,
    TopicEvidence,
    catalog_event_types,
    registered_record_names,
)
from keybus.registry.client import RegistryClient
from keybus.types import Subject

LOG_EVENT = "keybus.eventlog.LogEvent"


def _record(full_name: str) -> str:
    namespace, _, name = full_name.rpartition(".")
    schema = {"type": "record", "name": name, "namespace": namespace, "fields": []}
    return json.dumps(schema)


def _registry(latest: dict[str, dict[str, Any]]) -> RegistryClient:
    """Return a client of a registry whose subjects are the keys of `latest`."""

    def serve(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/subjects":
            return httpx.Response(200, json=list(latest))
        subject = path.removeprefix("/subjects/").removesuffix("/versions/latest")
        body = {"subject": subject, "version": 1, "id": 1, **latest[subject]}
        return httpx.Response(200, json=body)

    return RegistryClient("http://registry.test", transport=httpx.MockTransport(serve))


def test_other_record_subject_found() -> None:
    registry = _registry({"loans-com.example.Offer": {"schema": _record("com.example.Offer")}})

    found = registered_record_names(registry, "loans", LOG_EVENT)

    assert found == [("loans-com.example.Offer", "com.example.Offer")]


def test_subject_of_own_record_ignored() -> None:
    registry = _registry({f"loans-{LOG_EVENT}": {"schema": _record(LOG_EVENT)}})

    assert registered_record_names(registry, "loans", LOG_EVENT) == []


def test_value_subject_read_for_its_record() -> None:
    registry = _registry(
        {
            "loans-value": {"schema": _record("com.example.Offer")},
            "fines-value": {"schema": _record(LOG_EVENT)},
        }
    )

    assert registered_record_names(registry, "loans", LOG_EVENT) == [
        ("loans-value", "com.example.Offer")
    ]
    assert registered_record_names(registry, "fines", LOG_EVENT) == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"schema": json.dumps(["null", "string"])}, "a union schema of 2 types"),
        ({"schema": '"string"'}, "an unnamed string schema"),
        ({"schema": "{}", "schemaType": "JSON"}, "a JSON schema"),
    ],
)
def test_value_subject_without_record_described(schema: dict[str, Any], expected: str) -> None:
    registry = _registry({"loans-value": schema})

    assert registered_record_names(registry, "loans", LOG_EVENT) == [("loans-value", expected)]


@pytest.mark.parametrize(
    "subject",
    [
        "loans-key",
        "loans-archive-value",
        "loans-archive-com.example.Offer",
        "loans.outcomes-value",
        "com.example.Offer",
    ],
)
def test_subject_of_other_topic_ignored(subject: str) -> None:
    registry = _registry({subject: {"schema": _record("com.example.Offer")}})

    assert registered_record_names(registry, "loans", LOG_EVENT) == []


def test_generated_catalog_topic_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KEYBUS_CATALOG_DIR", str(tmp_path / "missing"))

    found = catalog_event_types("deliveries", LOG_EVENT)

    assert "com.example.delivery.DeliveryScheduled" in found
    assert catalog_event_types("loan-applications", LOG_EVENT) == []


def test_catalog_folder_topic_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    schema = {
        "type": "record",
        "name": "FineIssued",
        "namespace": "com.example.fines",
        "keybus.topic": "fines",
        "keybus.aggregate_id": "fine_id",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {
                "name": "occurred_at",
                "type": {"type": "long", "logicalType": "timestamp-millis"},
            },
            {"name": "fine_id", "type": "string"},
        ],
    }
    (tmp_path / "com.example.fines.FineIssued.avsc").write_text(json.dumps(schema))
    monkeypatch.setenv("KEYBUS_CATALOG_DIR", str(tmp_path))

    assert catalog_event_types("fines", LOG_EVENT) == ["com.example.fines.FineIssued"]
    assert catalog_event_types("fines", "com.example.fines.FineIssued") == []


def test_unreadable_catalog_folder_falls_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "broken.avsc").write_text("{not json")
    monkeypatch.setenv("KEYBUS_CATALOG_DIR", str(tmp_path))

    found = catalog_event_types("deliveries", LOG_EVENT)

    assert "com.example.delivery.DeliveryScheduled" in found


def test_empty_evidence_is_false() -> None:
    evidence = TopicEvidence(sample=RecordSample(read=12))

    assert not evidence
    assert evidence.describe() == ""


def test_evidence_described_in_one_line() -> None:
    evidence = TopicEvidence(
        catalog_types=("a.One", "a.Two", "a.Three", "a.Four"),
        subjects=((Subject("t-b.Other"), "b.Other"), (Subject("t-value"), "c.Value")),
        sample=RecordSample(read=5, others=(("b.Other", "urn:x"), ("b.Other", "urn:x"))),
    )

    text = evidence.describe()

    assert "\n" not in text
    assert "the event catalog assigns it a.One, a.Two, a.Three and 1 more" in text
    assert "the registry has subjects t-b.Other, t-value (c.Value)" in text
    assert "2 of its last 5 records are b.Other from urn:x" in text
    assert evidence.event_types() == ["a.One", "a.Two", "a.Three", "a.Four", "b.Other", "c.Value"]
    assert evidence.sources() == ["urn:x"]


def test_records_without_headers_named() -> None:
    evidence = TopicEvidence(sample=RecordSample(read=1, others=((None, None),)))

    assert evidence.event_types() == ["<no ce_type>"]
    assert evidence.sources() == ["<no ce_source>"]
    assert "1 of its last 1 records are <no ce_type> from <no ce_source>" in evidence.describe()
