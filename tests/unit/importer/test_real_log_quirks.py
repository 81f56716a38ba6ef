"""Each data-quality quirk of the real logs is handled by a stated rule.

No broker: the rows of the real files go through the importer's reader, schema
inference and event builder. Expected figures are the counts published with the
data. For the BPI Challenge 2012 log, the first 400 traces are cut from the file and
the expected figures are counted here from that slice.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from keybus.importer import EventBuilder, LogMapping, Reject, open_log
from keybus.importer.events import ImportStats
from keybus.importer.schema import ColumnKind, infer_columns

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "event-logs"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Built = tuple[list[dict[str, Any]], list[Reject], ImportStats]


def build(path: Path, mapping: LogMapping | None = None) -> Built:
    mapping = mapping or LogMapping()
    log = open_log(path)
    scan = infer_columns(log.rows(), mapping)
    builder = EventBuilder(mapping, scan.attributes, log.sha256)
    events: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for row in log.rows():
        outcome = builder.build(row)
        if isinstance(outcome, Reject):
            rejects.append(outcome)
        else:
            events.append(outcome)
    return events, rejects, builder.stats


@pytest.fixture(scope="module")
def receipt() -> Built:
    return build(DATA / "receipt.csv")


@pytest.fixture(scope="module")
def helpdesk() -> Built:
    return build(DATA / "helpdesk.xes.gz")


@pytest.fixture(scope="module")
def road() -> Built:
    return build(DATA / "roadtraffic100traces.csv")


@pytest.fixture(scope="module")
def bpic_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("bpic") / "bpic-head.xes.gz"
    kept = 0
    with gzip.open(DATA / "bpic2012.xes.gz", "rt") as reader, gzip.open(target, "wt") as writer:
        for line in reader:
            kept += "<trace>" in line
            if kept > 400:
                break
            writer.write(line)
        writer.write("</log>\n")
    return target


def test_empty_placeholder_read_as_missing(receipt: Built) -> None:
    events, rejects, stats = receipt

    assert rejects == []
    assert stats.placeholders_by_column["org:group"] == 1_936
    assert sum(e["attributes"]["org_group"] is None for e in events) == 1_936
    assert all(e["attributes"]["org_group"] != "EMPTY" for e in events)
    assert sum(e["attributes"]["case_group"] is None for e in events) == 4_961
    assert sum(e["attributes"]["case_enddate"] is None for e in events) == 617


def test_nil_placeholder_kept_unless_mapped(road: Built) -> None:
    events, _, _ = road
    mapped, _, stats = build(
        DATA / "roadtraffic100traces.csv", LogMapping(column_missing_values={"dismissal": ("NIL",)})
    )

    assert sum(e["attributes"]["dismissal"] == "NIL" for e in events) == 99
    assert sum(e["attributes"]["dismissal"] == "NIL" for e in mapped) == 0
    assert stats.placeholders_by_column["dismissal"] == 99


def test_exact_duplicates_kept_and_marked(helpdesk: Built) -> None:
    events, rejects, stats = helpdesk

    duplicates = [e for e in events if e["duplicate_of_row"] is not None]
    assert rejects == []
    assert len(events) == 21_348
    assert stats.exact_duplicates == 127
    assert len(duplicates) == 127
    assert len({e["case_id"] for e in duplicates}) == 126
    assert all(e["duplicate_of_row"] == e["source_row"] - 1 for e in duplicates)
    assert len({e["event_id"] for e in events}) == 21_348


def test_exact_duplicates_dropped_on_request() -> None:
    events, rejects, _ = build(DATA / "helpdesk.xes.gz", LogMapping(drop_exact_duplicates=True))

    assert len(events) == 21_348 - 127
    assert len(rejects) == 127
    assert all(re.fullmatch(r"exact duplicate of row \d+", r.reason) for r in rejects)
    assert all(f"row {r.row - 1}" in r.reason for r in rejects)


def test_equal_times_keep_file_order(helpdesk: Built, road: Built) -> None:
    for built, pairs in ((helpdesk, 130), (road, 12)):
        events, _, stats = built
        assert stats.equal_times_in_case == pairs
        assert stats.earlier_times_in_case == 0
        by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            by_case[event["case_id"]].append(event)
        for case_events in by_case.values():
            assert [e["sequence"] for e in case_events] == list(range(1, len(case_events) + 1))
            rows = [e["source_row"] for e in case_events]
            assert rows == sorted(rows)


def test_mixed_offsets_normalised_to_utc(receipt: Built, road: Built) -> None:
    receipt_offsets = Counter(e["utc_offset_minutes"] for e in receipt[0])
    road_offsets = Counter(e["utc_offset_minutes"] for e in road[0])
    first = receipt[0][0]

    assert receipt_offsets == {60: 4_318, 120: 4_259}
    assert road_offsets == {60: 157, 120: 233}
    assert first["occurred_at"] == _ms(datetime(2011, 10, 11, 11, 45, 40, 276_000, tzinfo=UTC))
    assert first["utc_offset_minutes"] == 120


def test_local_midnight_keeps_calendar_date(road: Built) -> None:
    events, _, _ = road
    first = events[0]

    assert first["local_date"] == (date(2005, 3, 23) - date(1970, 1, 1)).days
    assert first["occurred_at"] == _ms(datetime(2005, 3, 22, 23, 0, tzinfo=UTC))
    for event in events:
        utc = _EPOCH + timedelta(milliseconds=event["occurred_at"])
        local = utc + timedelta(minutes=event["utc_offset_minutes"])
        assert (local.hour, local.minute) == (0, 0)
        assert (local.date() - date(1970, 1, 1)).days == event["local_date"]


def test_missing_resources_are_null(road: Built, bpic_slice: Path) -> None:
    road_events, _, _ = road
    bpic_events, rejects, _ = build(bpic_slice)
    blocks = _event_blocks(bpic_slice)
    without_resource = sum('key="org:resource"' not in block for block in blocks)

    assert sum(e["resource"] is None for e in road_events) == 290
    assert rejects == []
    assert len(bpic_events) == len(blocks)
    assert without_resource > 0
    assert sum(e["resource"] is None for e in bpic_events) == without_resource


def test_unpaired_lifecycle_events_kept(bpic_slice: Path) -> None:
    events, _, _ = build(bpic_slice)
    pattern = re.compile(r'key="lifecycle:transition" value="([A-Z]+)"')
    transitions = Counter(
        match for block in _event_blocks(bpic_slice) for match in pattern.findall(block)
    )
    unpaired = _unpaired_cases(events)

    assert Counter(e["lifecycle"] for e in events) == transitions
    assert transitions["START"] != transitions["COMPLETE"]
    assert unpaired > 0


def _event_blocks(path: Path) -> list[str]:
    with gzip.open(path, "rt") as handle:
        return re.findall(r"<event>(.*?)</event>", handle.read(), flags=re.DOTALL)


def _unpaired_cases(events: list[dict[str, Any]]) -> int:
    counts: Counter[tuple[str, str, str]] = Counter(
        (e["case_id"], e["activity"], e["lifecycle"]) for e in events
    )
    cases = {
        case_id
        for (case_id, activity, lifecycle) in counts
        if activity.startswith("W_")
        and lifecycle == "START"
        and counts[(case_id, activity, "START")] != counts[(case_id, activity, "COMPLETE")]
    }
    return len(cases)


def test_typed_attributes_follow_written_form(road: Built, bpic_slice: Path) -> None:
    road_scan = infer_columns(open_log(DATA / "roadtraffic100traces.csv").rows(), LogMapping())
    bpic_scan = infer_columns(open_log(bpic_slice).rows(), LogMapping())
    road_kinds = {a.column: a.kind for a in road_scan.attributes}
    bpic_kinds = {a.column: a.kind for a in bpic_scan.attributes}

    assert road_kinds["article"] is ColumnKind.DOUBLE
    assert road_kinds["points"] is ColumnKind.DOUBLE
    assert {e["resource"] for e in road[0]} >= {"537"}
    assert bpic_kinds["case:AMOUNT_REQ"] is ColumnKind.LONG
    assert bpic_kinds["case:REG_DATE"] is ColumnKind.TIMESTAMP


def test_case_attributes_changing_mid_case_kept(helpdesk: Built) -> None:
    levels: dict[str, set[str]] = defaultdict(set)
    for event in helpdesk[0]:
        levels[event["case_id"]].add(event["attributes"]["service_level"])

    assert sum(len(values) > 1 for values in levels.values()) == 43


def test_running_example_quirks() -> None:
    events, rejects, _ = build(DATA / "running-example.csv")
    case_order = list(dict.fromkeys(e["case_id"] for e in events))

    assert rejects == []
    assert case_order[:3] == ["3", "2", "1"]
    assert [e["attributes"]["column_0"] for e in events] == list(range(42))
    assert all(e["attributes"]["Activity"] == e["activity"] for e in events)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
