"""The projection registry and the HTTP API over a projection file; no Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from keybus.sourcing import ProjectionError, UnknownProjectionError
from keybus.sourcing.domain import DELIVERY
from keybus.sourcing.projections import (
    DeliveryStatusProjection,
    ProjectionRegistry,
    ProjectionStore,
    SiteAccessProjection,
    SourceRecord,
    projection_names,
)
from keybus.sourcing.projections.http import projection_api

from .factories import schedule
from .test_domain_rules import run


def test_reference_projections_registered() -> None:
    assert {"delivery-status", "site-access"} <= set(projection_names())


def test_duplicate_name_rejected() -> None:
    registry = ProjectionRegistry(load_entry_points=False)
    registry.register("x", DeliveryStatusProjection)

    with pytest.raises(ProjectionError, match="'x' is registered already"):
        registry.register("x", SiteAccessProjection)


def test_unknown_name_lists_registered() -> None:
    registry = ProjectionRegistry(load_entry_points=False)
    registry.register("a", DeliveryStatusProjection)

    with pytest.raises(UnknownProjectionError, match="Registered: a"):
        registry.create("b")


def build(path: Path) -> None:
    """Apply two scheduled deliveries to a delivery-status file."""
    store = ProjectionStore(DeliveryStatusProjection(), path)
    with store.transaction() as db:
        for offset, delivery_id in enumerate(["d-1", "d-2"]):
            event = run(DELIVERY, schedule(delivery_id)).events[0]
            record = SourceRecord("deliveries", "deliveries", 0, offset, delivery_id, 0, 1)
            store.projection.apply(db, event, record)
        store.advance({("deliveries", 0): 2}, 2)
    store.close()


def test_api_serves_rows_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "delivery-status.sqlite"
    build(path)
    client = TestClient(projection_api({"delivery-status": (DeliveryStatusProjection(), path)}))

    summary = client.get("/projections").json()
    one = client.get("/projections/delivery-status/tables/deliveries/d-2")
    page = client.get("/projections/delivery-status/tables/deliveries", params={"limit": 1})
    by_status = client.get("/projections/delivery-status/queries/by-status/SCHEDULED")
    no_table = client.get("/projections/delivery-status/tables/nope")
    no_query = client.get("/projections/delivery-status/queries/nope/x")
    no_projection = client.get("/projections/nope/tables/deliveries")

    assert summary == [
        {
            "name": "delivery-status",
            "streams": ["deliveries"],
            "events_applied": 2,
            "rows": {"deliveries": 2},
        }
    ]
    assert one.json()["status"] == "SCHEDULED"
    assert [row["delivery_id"] for row in page.json()] == ["d-1"]
    assert len(by_status.json()) == 2
    assert no_table.status_code == 404
    assert "has no table 'nope'; it has: deliveries" in no_table.json()["detail"]
    assert no_query.status_code == 404
    assert "by-lock, by-status" in no_query.json()["detail"]
    assert no_projection.status_code == 404


def test_event_applied_again_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "delivery-status.sqlite"
    build(path)
    store = ProjectionStore(DeliveryStatusProjection(), path)
    event = run(DELIVERY, schedule("d-1")).events[0]

    with store.transaction() as db:
        store.projection.apply(
            db, event, SourceRecord("deliveries", "deliveries", 0, 0, "d-1", 0, 1)
        )
    row = store.db.execute(
        "SELECT times_scheduled, events FROM deliveries WHERE delivery_id = 'd-1'"
    ).fetchone()
    store.close()

    assert tuple(row) == (1, 1)


def test_duplicate_append_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "delivery-status.sqlite"
    build(path)
    store = ProjectionStore(DeliveryStatusProjection(), path)
    event = run(DELIVERY, schedule("d-1")).events[0]
    duplicate = SourceRecord("deliveries", "deliveries", 0, 7, "d-1", 0, 1)

    with store.transaction() as db:
        store.projection.apply(db, event, duplicate)
    row = store.db.execute(
        "SELECT times_scheduled, stream_offset FROM deliveries WHERE delivery_id = 'd-1'"
    ).fetchone()
    store.close()

    assert tuple(row) == (1, 0)
