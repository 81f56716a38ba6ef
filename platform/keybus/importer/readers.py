"""Stream event rows from CSV and XES logs, plain or gzip, in file order."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal, cast

from keybus.errors import clause
from keybus.importer.errors import LogFormatError
from keybus.importer.rows import SourceRow
from keybus.importer.xes import xes_rows

__all__ = ["CSV_FIELD_MAX_CHARS", "EventLog", "RowCache", "SourceRow", "open_log"]

logger = logging.getLogger(__name__)

LogFormat = Literal["csv", "xes"]

_GZIP_MAGIC = b"\x1f\x8b"

CSV_FIELD_MAX_CHARS = 1_000_000_000
"""The csv module's field size limit while a CSV log is read, instead of its default of
131,072 characters. librdkafka accepts a `message.max.bytes` of at most 1,000,000,000
(its CONFIGURATION.md), so a longer field could never be published. A shorter field
over the target's record size limit is read, and its row is rejected when it is
published."""


class EventLog:
    """An event log file: its format, its identity and its rows.

    Args:
        path: a `.csv` or `.xes` file, optionally gzip-compressed (detected from the
            content, not the name).
        log_format: "csv" or "xes"; by default taken from the name without `.gz`.
    """

    def __init__(self, path: Path | str, log_format: LogFormat | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise LogFormatError(
                f"Event log {self.path} does not exist or is not a file. Pass the path of "
                "a .csv, .xes or .xes.gz file.",
                path=str(self.path),
            )
        self.format: LogFormat = log_format or _format_from_name(self.path)
        self.compressed = _is_gzip(self.path)
        if not self.compressed and self.path.suffix.lower() == ".gz":
            raise LogFormatError(
                f"Event log {self.path} is named .gz but is not gzip data. Compress it with "
                "gzip, or remove .gz from its name if it is plain text.",
                path=str(self.path),
            )
        self.size_bytes = self.path.stat().st_size
        self.sha256 = _sha256(self.path)

    @property
    def name(self) -> str:
        """Return the file name without folders."""
        return self.path.name

    def rows(self) -> Iterator[SourceRow]:
        """Yield every event row in file order."""
        with self._open_binary() as stream:
            if self.format == "csv":
                yield from _csv_rows(stream, str(self.path))
            else:
                yield from xes_rows(stream, str(self.path))

    def starts_with(self, size_bytes: int, sha256: str) -> bool:
        """Return whether the first `size_bytes` bytes of the file as stored have `sha256`."""
        if size_bytes > self.size_bytes:
            return False
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            left = size_bytes
            while left:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    return False
                digest.update(block)
                left -= len(block)
        return digest.hexdigest() == sha256

    def _open_binary(self) -> IO[bytes]:
        if self.compressed:
            return cast("IO[bytes]", gzip.open(self.path, "rb"))
        return self.path.open("rb")


def open_log(path: Path | str, log_format: LogFormat | None = None) -> EventLog:
    """Open an event log for reading."""
    return EventLog(path, log_format)


def _format_from_name(path: Path) -> LogFormat:
    suffixes = [suffix.lower() for suffix in path.suffixes if suffix.lower() != ".gz"]
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    if suffixes and suffixes[-1] == ".xes":
        return "xes"
    raise LogFormatError(
        f"Cannot tell the format of {path} from its name: expected .csv, .xes, .csv.gz "
        "or .xes.gz. Rename the file or pass the format (--format csv|xes).",
        path=str(path),
    )


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csv_rows(stream: IO[bytes], path: str) -> Iterator[SourceRow]:
    # NOTE: the limit is process-wide, so it stays raised for other CSV readers too.
    if csv.field_size_limit() < CSV_FIELD_MAX_CHARS:
        csv.field_size_limit(CSV_FIELD_MAX_CHARS)
    # surrogateescape keeps each byte that is not UTF-8 as one lone surrogate, so that
    # such bytes reject only the rows that contain them.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, OSError, EOFError) as exc:
        raise _unreadable(path, reader.line_num, exc) from exc
    header_problem = _not_utf8(header)
    if header_problem is not None:
        raise LogFormatError(
            f"CSV header of {path} (line {reader.line_num}) is not UTF-8 text: "
            f"{header_problem}. {_CONVERT_HINT}.",
            path=path,
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise LogFormatError(
            f"CSV header of {path} repeats column names {duplicates}. Give every column "
            "a distinct name.",
            path=path,
        )
    width = len(header)
    try:
        for row_number, fields in enumerate(reader, start=1):
            problem = _not_utf8(fields)
            if problem is not None:
                error = f"line {reader.line_num} is not UTF-8 text: {problem}"
                yield SourceRow(row_number, _replaced(header, fields), error)
            elif len(fields) == width:
                yield SourceRow(row_number, dict(zip(header, fields, strict=True)))
            else:
                error = f"row has {len(fields)} fields but the header has {width}"
                yield SourceRow(row_number, dict(zip(header, fields, strict=False)), error)
    except (csv.Error, OSError, EOFError) as exc:
        raise _unreadable(path, reader.line_num, exc) from exc


_CONVERT_HINT = (
    "Convert the file to UTF-8, for example with iconv -f LATIN1 -t UTF-8 when it was "
    "written in Latin-1"
)


def _unreadable(path: str, line: int, exc: Exception) -> LogFormatError:
    return LogFormatError(
        f"CSV file {path} cannot be read after line {line}: {clause(exc)}. Check "
        "that it is UTF-8 text with comma-separated fields.",
        path=path,
    )


def _not_utf8(fields: list[str]) -> str | None:
    """Describe the first byte of `fields` that is not UTF-8, or return None."""
    try:
        "".join(fields).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return None
    for position, value in enumerate(fields, start=1):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(value[exc.start]) - 0xDC00
            return f"byte 0x{byte:02x} in field {position}"
    return None


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _replaced(header: list[str], fields: list[str]) -> dict[str, str]:
    """Return the values of a row with each byte that is not UTF-8 replaced by U+FFFD."""
    return {column: _printable(value) for column, value in zip(header, fields, strict=False)}


class RowCache:
    """The rows of one read, kept so that a second pass need not read the file.

    The rows are kept as read. The rows of one XES trace share the strings of its case
    attributes, and the expat reader also shares equal keys and values. When the rows
    contain more than `max_values` values in all, the cache drops what it held and stays
    incomplete, and the caller reads the file again.
    """

    def __init__(self, max_values: int) -> None:
        self.max_values = max_values
        self.complete = True
        self._rows: list[SourceRow] = []
        self._values = 0

    def keep(self, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
        """Yield `rows` unchanged while storing each of them."""
        append = self._rows.append
        values = self._values
        for source in rows:
            values += len(source.values)
            if values > self.max_values:
                self._drop()
                yield source
                yield from rows
                return
            append(source)
            yield source
        self._values = values

    def _drop(self) -> None:
        self.complete = False
        self._rows.clear()
        logger.info("log has over %s values; it is read again to publish", self.max_values)

    def rows(self) -> Iterator[SourceRow]:
        """Yield the stored rows in file order."""
        return iter(self._rows)
