"""The CSV and XES readers on small files written by each test; nothing is faked."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from keybus.importer import ImportPlan, LogFormatError, open_log
from keybus.importer.readers import RowCache
from keybus.importer.schema import LogScan
from keybus.serde import parse_schema

XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <trace>
    <string key="concept:name" value="A"/>
    <event>
      <string key="concept:name" value="start"/>
      <date key="time:timestamp" value="2011-10-01T00:38:44.546+02:00"/>
      <list key="tags"><string key="tag" value="nested"/></list>
    </event>
    <event>
      <string key="concept:name" value="end"/>
      <date key="time:timestamp" value="2011-10-01T00:39:00.000+02:00"/>
    </event>
    <int key="late" value="7"/>
  </trace>
  <trace>
    <string key="concept:name" value="B"/>
    <event><string key="concept:name" value="only"/></event>
  </trace>
</log>
"""

_SCAN = LogScan(columns=(), rows=None, attributes=())


def test_xes_rows_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(XES)

    rows = list(open_log(path).rows())

    assert [row.row for row in rows] == [1, 2, 3]
    assert [row.values["concept:name"] for row in rows] == ["start", "end", "only"]
    assert [row.values["case:concept:name"] for row in rows] == ["A", "A", "B"]
    assert rows[0].values["case:late"] == "7"
    assert "tag" not in rows[0].values
    assert "time:timestamp" not in rows[2].values


def test_gzip_detected_from_content(tmp_path: Path) -> None:
    plain = tmp_path / "log.xes"
    plain.write_text(XES)
    packed = tmp_path / "packed.xes"
    packed.write_bytes(gzip.compress(XES.encode()))

    assert open_log(packed).compressed
    assert list(open_log(packed).rows()) == list(open_log(plain).rows())


def test_malformed_xes_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xes"
    path.write_text(XES.replace("</trace>\n  <trace>", "</trace>\n  <trace"))

    with pytest.raises(LogFormatError) as caught:
        list(open_log(path).rows())

    assert "is not well-formed XML at line" in caught.value.message
    assert caught.value.path == str(path)


def test_csv_short_row_flagged(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(",a,b\n0,x,y\n1,z\n")

    rows = list(open_log(path).rows())

    assert rows[0].values == {"": "0", "a": "x", "b": "y"}
    assert rows[0].error is None
    assert rows[1].error == "row has 2 fields but the header has 3"


def test_csv_repeated_header_rejected(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("a,b,a\n1,2,3\n")

    with pytest.raises(LogFormatError) as caught:
        list(open_log(path).rows())

    assert "repeats column names ['a']" in caught.value.message


def test_unknown_extension_rejected(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    path.write_text("{}")

    with pytest.raises(LogFormatError) as caught:
        open_log(path)

    assert "--format csv|xes" in caught.value.message


def test_file_identity_is_content_hash(tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    first.write_text("a\n1\n")
    second.write_text("a\n1\n")

    assert open_log(first).sha256 == open_log(second).sha256


def test_xes_attribute_order_and_entities(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(
        '<log><trace><string value="C &amp; 1" key="concept:name"/>'
        '<event><string value="a &lt; b" key="concept:name"/><int key="n" value="3" '
        'extra="x"/></event></trace></log>'
    )

    (row,) = open_log(path).rows()

    assert row.values == {"case:concept:name": "C & 1", "concept:name": "a < b", "n": "3"}


def test_row_cache_over_bound_reads_again(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(XES)
    log = open_log(path)
    cache = RowCache(max_values=5)

    kept = list(cache.keep(log.rows()))
    plan_rows = list(ImportPlan(_SCAN, {}, parse_schema({"type": "string"}), cache).rows(log))

    assert not cache.complete
    assert kept == list(log.rows())
    assert plan_rows == kept


def test_row_cache_within_bound_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(XES)
    log = open_log(path)
    cache = RowCache(max_values=100)

    kept = list(cache.keep(log.rows()))

    assert cache.complete
    assert list(cache.rows()) == kept


def test_csv_field_over_default_limit_read(tmp_path: Path) -> None:
    note = "x" * 1_500_000
    path = tmp_path / "huge.csv"
    path.write_text(f"case,note\nc1,{note}\nc2,short\n", encoding="utf-8")

    rows = list(open_log(path).rows())

    assert [row.values["note"] for row in rows] == [note, "short"]


def test_xes_value_over_csv_limit_read(tmp_path: Path) -> None:
    note = "x" * 1_500_000
    path = tmp_path / "huge.xes"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<log><trace>'
        '<string key="concept:name" value="A"/>'
        f'<event><string key="note" value="{note}"/></event>'
        "</trace></log>\n",
        encoding="utf-8",
    )

    rows = list(open_log(path).rows())

    assert rows[0].values["note"] == note


def test_csv_row_with_invalid_bytes_marked(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(
        b"case,activity,time\n"
        b"c1,start,2024-01-01T00:00:00Z\n"
        b"c1,\xff\xfeend,2024-01-01T01:00:00Z\n"
        b"c1,close,2024-01-01T02:00:00Z\n"
    )

    rows = list(open_log(path).rows())

    assert [row.error is None for row in rows] == [True, False, True]
    assert rows[1].error == "line 3 is not UTF-8 text: byte 0xff in field 2"
    assert rows[1].values["activity"] == "\ufffd\ufffdend"
    assert rows[2].values["activity"] == "close"


def test_csv_header_with_invalid_bytes_rejected(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(b"case,activit\xe9,time\nc1,start,2024-01-01T00:00:00Z\n")

    with pytest.raises(LogFormatError) as raised:
        list(open_log(path).rows())

    assert "(line 1) is not UTF-8 text: byte 0xe9 in field 2" in raised.value.message
    assert "iconv -f LATIN1 -t UTF-8" in raised.value.message


def test_truncated_gzip_csv_rejected(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    whole = gzip.compress(b"case,activity,time\n" + b"c1,start,2024-01-01T00:00:00Z\n" * 5000)
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(LogFormatError) as raised:
        list(open_log(path).rows())

    assert f"CSV file {path} cannot be read after line" in raised.value.message
