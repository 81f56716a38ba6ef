"""Read the events of an XES log in file order, with expat and a faster path for plain traces."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO
from xml.parsers import expat

from keybus.errors import clause
from keybus.importer.errors import LogFormatError
from keybus.importer.rows import SourceRow
from keybus.importer.xes_traces import TRACE_END, TRACE_START, trace_rows, whitespace_like

__all__ = ["xes_rows"]

_CHUNK_BYTES = 1 << 20
_VALUE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
_CASE_PREFIX = "case:"
_MAX_SHARED_STRINGS = 100_000
_MAX_TRACE_BYTES = 64 << 20
_XML_WHITESPACE = b" \t\r\n"
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")

# Element kinds. Names are matched by the part after any prefix, so an element is found
# whichever namespace it is in. Namespace processing stays off because it made expat
# parse BPI Challenge 2012 about 30 % slower.
_OTHER, _VALUE, _EVENT, _TRACE = range(4)

_StartHandler = Callable[[str, list[str]], None]
_EndHandler = Callable[[str], None]


class _Rows:
    """The rows completed since the caller last took them, and the expat parser's state.

    Attributes:
        ready: rows completed and not yet yielded.
        count: rows completed so far.
        traces_ended: `</trace>` end tags expat has read.
        targets: one entry per element expat has open, after a sentinel: the dict its
            direct typed attributes go into, or None when it is not an event or a trace.
        pending: events of the open trace, which become rows when it ends.
    """

    def __init__(self) -> None:
        self.ready: list[SourceRow] = []
        self.count = 0
        self.traces_ended = 0
        self.targets: list[dict[str, str] | None] = [None]
        self.pending: list[dict[str, str]] = []


def _element_handlers(rows: _Rows) -> tuple[_StartHandler, _EndHandler]:
    """Return expat's start and end element callbacks, which add the log's rows to `rows`.

    Only typed attributes that are direct children of an `<event>` or a `<trace>` count.
    Attributes nested in another attribute, a list or a `<global>` are skipped. A trace's
    events become rows when the trace ends, so trace attributes written after its
    events still reach every event. The callbacks are closures over local variables
    because they run twice per element, about 1.4 million times for BPI Challenge 2012
    when no trace takes the faster path.
    """
    kinds: dict[str, int] = {}
    targets = rows.targets
    pending = rows.pending
    # Equal keys and values share one string: rows kept in memory take less space, and
    # a shared key's hash is computed once. Cleared when full, so it stays small.
    shared: dict[str, str] = {}
    share = shared.setdefault
    push = targets.append
    pop = targets.pop

    def start(name: str, attributes: list[str]) -> None:
        kind = kinds.get(name)
        if kind is None:
            kind = kinds[name] = _kind(name)
        if kind == _VALUE:
            target = targets[-1]
            if target is None:
                pass
            elif len(attributes) == 4 and attributes[0] == "key" and attributes[2] == "value":
                target[share(attributes[1], attributes[1])] = share(attributes[3], attributes[3])
            else:
                _store_value(target, attributes)
            push(None)
        elif kind == _OTHER:
            push(None)
        else:
            push({})

    def end(name: str) -> None:
        values = pop()
        if values is None:
            return
        if kinds[name] == _EVENT:
            pending.append(values)
            return
        rows.traces_ended += 1
        if len(shared) > _MAX_SHARED_STRINGS:
            shared.clear()
        case_values = {_CASE_PREFIX + key: value for key, value in values.items()}
        number = rows.count
        for event_values in pending:
            number += 1
            rows.ready.append(SourceRow(number, {**case_values, **event_values}))
        rows.count = number
        pending.clear()

    return start, end


def _store_value(target: dict[str, str], attributes: list[str]) -> None:
    """Store `key` and `value` from XML attributes given as name, value, name, value."""
    pairs = dict(zip(attributes[::2], attributes[1::2], strict=True))
    key = pairs.get("key")
    value = pairs.get("value")
    if key is not None and value is not None:
        target[key] = value


def _kind(name: str) -> int:
    local = name.rpartition(":")[2]
    if local in _VALUE_TAGS:
        return _VALUE
    if local == "event":
        return _EVENT
    if local == "trace":
        return _TRACE
    return _OTHER


class _TraceSplitter:
    """Feed an XES byte stream to expat, reading plain traces with `trace_rows` instead.

    A trace takes the faster path only where expat could not read it differently: the
    file is UTF-8 without a document type declaration, and the trace directly follows
    the end of the previous trace with nothing but whitespace between them. In place of
    such a trace expat reads whitespace with the same line breaks, so it still checks
    the rest of the document and names the right line in its errors.
    """

    def __init__(self, parser: expat.XMLParserType, rows: _Rows) -> None:
        self.parser = parser
        self.rows = rows
        self.enabled: bool | None = None
        # True while expat has just read a `</trace>` that closed a trace in `<log>`.
        self.after_trace = False
        parser.StartDoctypeDeclHandler = self._disable

    def feed(self, data: bytes) -> bytes:
        """Read the traces that `data` contains whole and return the bytes left over."""
        if self.enabled is None:
            self.enabled = _utf8_document(data)
        if not self.enabled:
            self.parser.Parse(data, False)
            return b""
        position = 0
        while True:
            start = data.find(TRACE_START, position)
            if start < 0:
                # Keep what may be the beginning of a `<trace>` split by the chunk boundary.
                keep = max(position, len(data) - len(TRACE_START) + 1)
                self._parse_between(data[position:keep])
                return data[keep:]
            end = data.find(TRACE_END, start)
            self._parse_between(data[position:start])
            if end < 0:
                if len(data) - start <= _MAX_TRACE_BYTES:
                    return data[start:]
                self._parse_trace(data[start:])
                return b""
            position = end + len(TRACE_END)
            self._read_trace(data[start:position])

    def _read_trace(self, trace: bytes) -> None:
        rows = self.rows
        found = None
        if self.after_trace and self.enabled:
            content = trace[len(TRACE_START) : -len(TRACE_END)]
            found = trace_rows(content, rows.count + 1)
        if found is None:
            self._parse_trace(trace)
            return
        rows.ready += found
        rows.count += len(found)
        self.parser.Parse(whitespace_like(trace), False)

    def _parse_trace(self, data: bytes) -> None:
        rows = self.rows
        ended = rows.traces_ended
        self.parser.Parse(data, False)
        self.after_trace = (
            rows.traces_ended == ended + 1 and len(rows.targets) == 2 and not rows.pending
        )

    def _parse_between(self, data: bytes) -> None:
        if data.strip(_XML_WHITESPACE):
            self.after_trace = False
        self.parser.Parse(data, False)

    def _disable(self, *_: object) -> None:
        self.enabled = False


def _utf8_document(head: bytes) -> bool:
    """Tell whether a document starting with `head` is UTF-8 (or declares no encoding)."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    if not head.startswith(b"<?xml"):
        return head.lstrip(_XML_WHITESPACE).startswith(b"<")
    end = head.find(b"?>")
    if end < 0:
        return False
    declared = _DECLARED_ENCODING.match(head[: end + 2])
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


def xes_rows(stream: IO[bytes], path: str) -> Iterator[SourceRow]:
    """Yield the event rows of an XES stream; trace attributes get the `case:` prefix.

    Raises:
        LogFormatError: the XML is not well-formed, or the stream ends early.
    """
    rows = _Rows()
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.StartElementHandler, parser.EndElementHandler = _element_handlers(rows)
    splitter = _TraceSplitter(parser, rows)
    left = b""
    try:
        while chunk := stream.read(_CHUNK_BYTES):
            left = splitter.feed(left + chunk)
            yield from rows.ready
            rows.ready.clear()
        parser.Parse(left, True)
        yield from rows.ready
    except expat.ExpatError as exc:
        raise LogFormatError(
            f"XES file {path} is not well-formed XML at line {exc.lineno} column "
            f"{exc.offset} (after event row {rows.count}): "
            f"{expat.ErrorString(exc.code)}. Repair or re-export the file.",
            path=path,
            row=rows.count,
        ) from exc
    except (OSError, EOFError) as exc:
        raise LogFormatError(
            f"XES file {path} cannot be read after event row {rows.count}: {clause(exc)}. "
            "The gzip stream may be truncated; copy the file again.",
            path=path,
            row=rows.count,
        ) from exc
