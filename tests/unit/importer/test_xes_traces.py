"""The faster path for plain XES traces against expat alone; files are written per test.

A document type declaration turns the faster path off, so the same document read with
one on its first line gives the rows and errors of expat alone.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from keybus.importer import LogFormatError, open_log
from keybus.importer.readers import SourceRow
from keybus.importer.xes import xes_rows
from keybus.importer.xes_traces import trace_rows

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
PLAIN_TRACE = """
  <trace>
    <string key="concept:name" value="{case}"/>
    <event>
      <string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2011-10-01T00:38:44.546+02:00" />
    </event>
    <event>
      <string key="concept:name" value="b"/>
    </event>
  </trace>"""

ODD_TRACES = {
    "comment": '<trace><!-- note --><event><string key="a" value="1"/></event></trace>',
    "comment in event": '<trace><event><!-- <x> --><string key="a" value="1"/></event></trace>',
    "cdata": '<trace><event><![CDATA[ <string key="a" value="2"/> ]]></event></trace>',
    "entity": '<trace><event><string key="a" value="x &amp; y &lt; z"/></event></trace>',
    "character reference": '<trace><event><string key="a" value="x&#10;y"/></event></trace>',
    "tab in value": '<trace><event><string key="a" value="x\ty"/></event></trace>',
    "line break in value": '<trace><event><string key="a" value="x\ny"/></event></trace>',
    "nested list": (
        '<trace><event><list key="l"><string key="a" value="1"/></list>'
        '<string key="b" value="2"/></event></trace>'
    ),
    "attribute with children": (
        '<trace><string key="c" value="3"><string key="d" value="4"/></string>'
        '<event><string key="a" value="1"/></event></trace>'
    ),
    "value before key": '<trace><event><string value="1" key="a"/></event></trace>',
    "extra attribute": '<trace><event><int key="a" value="1" extra="x"/></event></trace>',
    "single quotes": "<trace><event><string key='a' value='1'/></event></trace>",
    "prefixed tag": '<trace><event><xes:string key="a" value="1"/></event></trace>',
    "processing instruction": '<trace><?pi x?><event><string key="a" value="1"/></event></trace>',
    "trace attribute after events": (
        '<trace><event><string key="a" value="1"/></event><string key="late" value="9"/></trace>'
    ),
    "empty trace": "<trace></trace>",
    "event outside trace": '<event><string key="a" value="0"/></event><trace></trace>',
    "non-ascii": '<trace><event><string key="a" value="Afhandelen é ü 中"/></event></trace>',
    "text between tags": '<trace>text > here<event>more<string key="a" value="1"/></event></trace>',
}

READ_WITHOUT_PARSER = {
    "trace attribute after events",
    "empty trace",
    "non-ascii",
    "text between tags",
}

MALFORMED_TRACES = {
    "unclosed event": '<trace><event><string key="a" value="1"/></trace>',
    "stray end tag": "<trace><event></event></event></trace>",
    "control character": '<trace><event><string key="a" value="x\x01y"/></event></trace>',
    "cdata end in text": "<trace>]]></trace>",
    "bare ampersand": '<trace><event><string key="a" value="x & y"/></event></trace>',
    "unclosed comment": "<trace><!-- </trace>",
    "error after non-ascii trace": (
        '<trace><event><string key="a" value="中中"/></event></trace><trace>x</bad></trace>'
    ),
}


def _document(odd_trace: str, *, doctype: bool = False) -> str:
    head = DECLARATION + ("<!DOCTYPE log>" if doctype else "")
    traces = [PLAIN_TRACE.format(case=f"c{n}") for n in range(3)]
    traces.insert(2, "\n  " + odd_trace)
    traces.append(PLAIN_TRACE.format(case="last"))
    return f'{head}\n<log xes.version="1.0">{"".join(traces)}\n</log>\n'


def _rows(folder: Path, name: str, text: str) -> list[SourceRow]:
    path = folder / name
    path.write_bytes(text.encode())
    return list(open_log(path).rows())


@pytest.mark.parametrize("odd_trace", ODD_TRACES.values(), ids=ODD_TRACES.keys())
def test_odd_trace_read_as_expat_reads_it(tmp_path: Path, odd_trace: str) -> None:
    fast = _rows(tmp_path, "fast.xes", _document(odd_trace))
    expat_only = _rows(tmp_path, "expat.xes", _document(odd_trace, doctype=True))

    assert [(row.row, list(row.values.items())) for row in fast] == [
        (row.row, list(row.values.items())) for row in expat_only
    ]


@pytest.mark.parametrize("broken_trace", MALFORMED_TRACES.values(), ids=MALFORMED_TRACES.keys())
def test_malformed_trace_error_as_expat_reports_it(tmp_path: Path, broken_trace: str) -> None:
    errors = []
    for name, doctype in (("fast.xes", False), ("expat.xes", True)):
        with pytest.raises(LogFormatError) as caught:
            _rows(tmp_path, name, _document(broken_trace, doctype=doctype))
        errors.append(caught.value.message.replace(name, "log.xes"))

    assert "is not well-formed XML at line" in errors[0]
    assert errors[0] == errors[1]


def test_latin1_document_read_as_expat_reads_it(tmp_path: Path) -> None:
    text = _document('<trace><event><string key="a" value="caf\xe9"/></event></trace>')
    latin1 = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    path = tmp_path / "latin1.xes"
    path.write_bytes(latin1)

    rows = list(open_log(path).rows())

    assert rows[4].values == {"a": "caf\xe9"}


def test_plain_trace_read_without_parser() -> None:
    content = PLAIN_TRACE.format(case="c1").strip()[len("<trace>") : -len("</trace>")]

    rows = trace_rows(content.encode(), 5)

    assert rows is not None
    assert [row.row for row in rows] == [5, 6]
    assert rows[0].values == {
        "case:concept:name": "c1",
        "concept:name": "a",
        "time:timestamp": "2011-10-01T00:38:44.546+02:00",
    }
    assert rows[1].values == {"case:concept:name": "c1", "concept:name": "b"}


@pytest.mark.parametrize(
    "name", [name for name, text in ODD_TRACES.items() if text.startswith("<trace>")]
)
def test_trace_read_without_parser_only_when_plain(name: str) -> None:
    content = ODD_TRACES[name][len("<trace>") : -len("</trace>")].encode()

    rows = trace_rows(content, 1)

    assert (rows is not None) == (name in READ_WITHOUT_PARSER)


def test_declaration_split_by_first_read_keeps_expat(tmp_path: Path) -> None:
    # In ISO-8859-1 these two characters are bytes that also decode as UTF-8, to "é".
    text = _document('<trace><event><string key="a" value="\xc3\xa9"/></event></trace>')
    path = tmp_path / "latin1.xes"
    path.write_bytes(text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1"))

    with path.open("rb") as raw:
        rows = list(xes_rows(_TrickleReader(raw), str(path)))

    assert rows == list(open_log(path).rows())
    assert rows[4].values == {"a": "\xc3\xa9"}


class _TrickleReader(io.RawIOBase):
    """A stream that returns at most 8 bytes per read, as a slow pipe may."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(min(8, len(buffer)))
        buffer[: len(data)] = data
        return len(data)
