"""Read the events of an XES log with expat callbacks, in file order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.parsers import expat

from keybus.importer.errors import LogFormatError
from keybus.importer.rows import SourceRow

__all__ = ["xes_rows"]

_CHUNK_BYTES = 1 << 20
_VALUE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
_CASE_PREFIX = "case:"
_MAX_SHARED_STRINGS = 100_000

# Element kinds. Names are matched by the part after any prefix, so an element is found
# whichever namespace it is in. Namespace processing stays off because it made expat
# parse BPI Challenge 2012 about 30 % slower.
_OTHER, _VALUE, _EVENT, _TRACE = range(4)


class _XesHandler:
    """Collect rows from expat's element callbacks.

    Only typed attributes that are direct children of an `<event>` or a `<trace>` count.
    Attributes nested in another attribute, a list or a `<global>` are skipped. A trace's
    events become rows when the trace ends, so trace attributes written after its
    events still reach every event.
    """

    def __init__(self) -> None:
        self.rows: list[SourceRow] = []
        self.row_number = 0
        self._kinds: dict[str, int] = {}
        # One entry per open element: the dict its direct typed attributes go into, or
        # None when it is not an event or a trace.
        self._targets: list[dict[str, str] | None] = [None]
        self._pending: list[dict[str, str]] = []
        # Equal keys and values share one string: rows kept in memory take less space,
        # and a shared key's hash is computed once. Cleared when full, so it stays small.
        self._shared: dict[str, str] = {}

    def start(self, name: str, attributes: list[str]) -> None:
        kind = self._kinds.get(name)
        if kind is None:
            kind = self._kinds[name] = _kind(name)
        if kind == _VALUE:
            target = self._targets[-1]
            if target is None:
                pass
            elif len(attributes) == 4 and attributes[0] == "key" and attributes[2] == "value":
                share = self._shared.setdefault
                target[share(attributes[1], attributes[1])] = share(attributes[3], attributes[3])
            else:
                _store_value(target, attributes)
            self._targets.append(None)
        elif kind == _OTHER:
            self._targets.append(None)
        else:
            self._targets.append({})

    def end(self, name: str) -> None:
        values = self._targets.pop()
        if values is None:
            return
        if self._kinds[name] == _EVENT:
            self._pending.append(values)
            return
        case_values = {_CASE_PREFIX + key: value for key, value in values.items()}
        if len(self._shared) > _MAX_SHARED_STRINGS:
            self._shared.clear()
        number = self.row_number
        append = self.rows.append
        for event_values in self._pending:
            number += 1
            append(SourceRow(number, {**case_values, **event_values}))
        self.row_number = number
        self._pending.clear()


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


def xes_rows(stream: IO[bytes], path: str) -> Iterator[SourceRow]:
    """Yield the event rows of an XES stream; trace attributes get the `case:` prefix.

    Raises:
        LogFormatError: the XML is not well-formed, or the stream ends early.
    """
    handler = _XesHandler()
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    try:
        while chunk := stream.read(_CHUNK_BYTES):
            parser.Parse(chunk, False)
            yield from handler.rows
            handler.rows.clear()
        parser.Parse(b"", True)
        yield from handler.rows
    except expat.ExpatError as exc:
        raise LogFormatError(
            f"XES file {path} is not well-formed XML at line {exc.lineno} column "
            f"{exc.offset} (after event row {handler.row_number}): "
            f"{expat.ErrorString(exc.code)}. Repair or re-export the file.",
            path=path,
            row=handler.row_number,
        ) from exc
    except (OSError, EOFError) as exc:
        raise LogFormatError(
            f"XES file {path} cannot be read after event row {handler.row_number}: {exc}. "
            "The gzip stream may be truncated; copy the file again.",
            path=path,
            row=handler.row_number,
        ) from exc
