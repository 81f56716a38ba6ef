"""The event-log projection in SQLite and its HTTP endpoint (Starlette test client)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from keybus.importer.http import projection_app
from keybus.importer.projections import EventLogProjection


def _event(case_id: str, activity: str, minute: int, number: int) -> dict[str, Any]:
    return {
        "event_id": f"e{number}",
        "case_id": case_id,
        "activity": activity,
        "occurred_at": datetime(2020, 1, 1, 10, minute, tzinfo=UTC),
    }


@pytest.fixture
def projection(tmp_path: Path) -> EventLogProjection:
    model = EventLogProjection(tmp_path / "p.db")
    events = [
        _event("c1", "Create", 0, 1),
        _event("c2", "Create", 1, 2),
        _event("c1", "Check", 10, 3),
        _event("c1", "Check", 40, 4),
        _event("c2", "Pay", 31, 5),
    ]
    with model.batch():
        for offset, event in enumerate(events):
            model.apply(event, "t", 0, offset)
    return model


def test_case_figures(projection: EventLogProjection) -> None:
    case = projection.case("c1")

    assert case is not None
    assert case["events"] == 3
    assert case["first_activity"] == "Create"
    assert case["current_activity"] == "Check"
    assert case["duration_ms"] == 40 * 60_000
    assert projection.case("missing") is None


def test_activity_figures(projection: EventLogProjection) -> None:
    create = projection.activity("Create")
    check = projection.activity("Check")

    assert create == {
        "activity": "Create",
        "events": 2,
        "cases": 2,
        "median_ms_to_next": 20 * 60_000,
        "followed": 2,
    }
    assert check is not None
    assert (check["events"], check["cases"], check["median_ms_to_next"]) == (2, 1, 30 * 60_000)
    assert projection.positions("t") == {0: 5}


def test_reset_clears_figures(projection: EventLogProjection) -> None:
    projection.reset()

    assert projection.summary()["cases"] == 0
    assert projection.positions("t") == {}


def test_http_endpoint(projection: EventLogProjection) -> None:
    client = TestClient(projection_app(projection))

    summary = client.get("/projections/event-log/summary").json()
    case = client.get("/projections/event-log/cases/c2").json()
    missing = client.get("/projections/event-log/cases/nope")
    activities = client.get("/projections/event-log/activities").json()
    bad = client.get("/projections/event-log/cases?limit=x")

    assert summary["cases"] == 2
    assert summary["events"] == 5
    assert case["current_activity"] == "Pay"
    assert missing.status_code == 404
    assert missing.json()["message"] == "Case 'nope' has no events in the projection."
    assert [a["activity"] for a in activities] == ["Check", "Create", "Pay"]
    assert bad.status_code == 400
