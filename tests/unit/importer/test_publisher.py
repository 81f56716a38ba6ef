"""Headers of imported events against the SDK's `event_headers`; nothing is faked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keybus.events import event_headers
from keybus.importer import event_id_for_row
from keybus.importer.publisher import EventRecordHeaders

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SHA = "ab" * 32


@pytest.mark.parametrize(
    "epoch_ms",
    [
        0,
        -1,
        1_317_422_324_546,  # 2011-09-30T22:38:44.546Z, a BPI Challenge 2012 time
        951_865_200_000,  # 2000-02-29T23:00:00Z, a leap day
        -62_135_596_800_000,  # 0001-01-01T00:00:00Z
        253_402_300_799_999,  # 9999-12-31T23:59:59.999Z
    ],
)
def test_headers_match_sdk_event_headers(epoch_ms: int) -> None:
    event_id = event_id_for_row(_SHA, 7)
    event = {"event_id": event_id, "occurred_at": epoch_ms, "case_id": "173688"}
    build = EventRecordHeaders(event_type="x.LoanEvent", source="urn:test", trace_id=_SHA[:32])

    headers = build(event)

    expected = event_headers(
        event_id=event_id,
        event_type="x.LoanEvent",
        source="urn:test",
        occurred_at=_EPOCH + timedelta(milliseconds=epoch_ms),
        subject="173688",
        traceparent=f"00-{_SHA[:32]}-{event_id.replace('-', '')[:16]}-01",
    )
    assert headers == expected


def test_headers_same_for_same_row() -> None:
    event = {"event_id": event_id_for_row(_SHA, 1), "occurred_at": 5, "case_id": "c"}
    first = EventRecordHeaders(event_type="x.E", source="urn:a", trace_id=_SHA[:32])
    second = EventRecordHeaders(event_type="x.E", source="urn:a", trace_id=_SHA[:32])

    assert first(event) == second(event)
