"""The event builder's rules on small rows: ids, order, duplicates and rejects."""

from __future__ import annotations

import uuid
from typing import Any

from keybus.importer import EventBuilder, LogMapping, Reject, SourceRow, event_id_for_row
from keybus.importer.events import EVENT_ID_NAMESPACE
from keybus.importer.schema import AttributeColumn, ColumnKind

SHA = "ab" * 32
AMOUNT = AttributeColumn("amount", "amount", ColumnKind.LONG, nullable=True)
CODE = AttributeColumn("code", "code", ColumnKind.STRING, nullable=False)


def _row(number: int, **values: str) -> SourceRow:
    base = {
        "case:concept:name": "c1",
        "concept:name": "A",
        "time:timestamp": "2020-01-01 10:00:00+01:00",
        "code": "x",
    }
    return SourceRow(number, {**base, **values})


def _build(rows: list[SourceRow], mapping: LogMapping | None = None) -> list[Any]:
    builder = EventBuilder(mapping or LogMapping(), [AMOUNT, CODE], SHA)
    return [builder.build(row) for row in rows]


def test_event_id_from_file_and_row() -> None:
    first, second = _build([_row(1), _row(2, **{"concept:name": "B"})])

    assert first["event_id"] == str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{SHA}:1"))
    assert second["event_id"] == event_id_for_row(SHA, 2)
    assert _build([_row(1)])[0]["event_id"] == first["event_id"]


def test_event_id_from_column_and_repeats_rejected() -> None:
    mapping = LogMapping(event_id="task", exclude=("task",))
    first, repeated = _build([_row(1, task="t-1"), _row(2, task="t-1")], mapping)

    assert first["event_id"] == str(uuid.uuid5(EVENT_ID_NAMESPACE, "id:t-1"))
    assert isinstance(repeated, Reject)
    assert repeated.reason == "event id 't-1' in column 'task' repeats row 1"


def test_sequence_counts_per_case() -> None:
    events = _build([_row(1), _row(2, **{"case:concept:name": "c2"}), _row(3), _row(4)])

    assert [(e["case_id"], e["sequence"]) for e in events] == [
        ("c1", 1),
        ("c2", 1),
        ("c1", 2),
        ("c1", 3),
    ]


def test_earlier_time_kept_in_place_and_counted() -> None:
    builder = EventBuilder(LogMapping(), [AMOUNT, CODE], SHA)
    later = builder.build(_row(1, **{"time:timestamp": "2020-01-02 10:00:00+01:00"}))
    earlier = builder.build(_row(2))

    assert later["sequence"] == 1
    assert earlier["sequence"] == 2
    assert builder.stats.earlier_times_in_case == 1


def test_missing_case_and_activity_rejected() -> None:
    no_case, no_activity = _build(
        [_row(1, **{"case:concept:name": ""}), _row(2, **{"concept:name": "EMPTY"})]
    )

    assert isinstance(no_case, Reject)
    assert no_case.reason == "case id column 'case:concept:name' is missing"
    assert isinstance(no_activity, Reject)
    assert no_activity.reason == "activity column 'concept:name' is missing"


def test_required_attribute_missing_rejected() -> None:
    (reject,) = _build([_row(1, code="")])

    assert isinstance(reject, Reject)
    assert "field attributes.code (column 'code') is missing" in reject.reason
    assert "make the field nullable in the schema" in reject.reason


def test_column_outside_schema_rejected() -> None:
    (reject,) = _build([_row(1, extra="value")])

    assert isinstance(reject, Reject)
    assert "columns ['extra'] have values but are not in the schema" in reject.reason


def test_short_csv_row_rejected() -> None:
    (reject,) = _build([SourceRow(7, {"case:concept:name": "c1"}, "row has 1 fields")])

    assert isinstance(reject, Reject)
    assert reject.row == 7
    assert reject.reason.startswith("row has 1 fields")


def test_missing_resource_is_null() -> None:
    (event,) = _build([_row(1, **{"org:resource": ""})])

    assert event["resource"] is None
    assert event["lifecycle"] is None
