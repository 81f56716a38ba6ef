"""Find imports of other files in a new import's topic, such as an earlier version of its log.

Event ids and progress are keyed by the file's SHA-256, so a log that grew since its
import is a new file: imported as it is, every earlier row would be published again as
a new event. The progress topic lists every file imported into the topic, with its
name, row count and size. Before a new import sends anything it compares them with
its own file:

- no other file was imported into the topic: the import publishes every row;
- an earlier file is a byte prefix of this one (a CSV log with rows appended): the
  import stops, or with `new_rows_only` publishes only the rows after the earlier
  import's last row;
- another file was imported: the import stops, because the files may share rows or
  cases, unless `allow_other_imports` is set.
"""

from __future__ import annotations

from collections.abc import Mapping

from keybus.errors import listed
from keybus.importer.errors import EarlierImportError
from keybus.importer.progress import Progress
from keybus.importer.readers import EventLog

__all__ = ["continued_import", "describe_import", "first_row_to_publish"]


def first_row_to_publish(
    log: EventLog,
    imports: Mapping[str, Progress],
    topic: str,
    *,
    new_rows_only: bool = False,
    allow_other_imports: bool = False,
) -> int:
    """Return the last row that an earlier import of a prefix of `log` published, or 0.

    Args:
        log: the file of the new import.
        imports: the progress of each file imported into `topic`, by SHA-256.
        topic: the target topic.
        new_rows_only: continue the longest finished earlier import whose file `log`
            starts with.
        allow_other_imports: publish every row whatever else was imported.

    Raises:
        EarlierImportError: other files were imported into `topic` and neither flag
            allows the import, or `new_rows_only` is set and none of them is a prefix.
    """
    earlier = [progress for sha, progress in imports.items() if sha != log.sha256]
    if not earlier or allow_other_imports:
        return 0
    earlier.sort(key=lambda progress: progress.last_row, reverse=True)
    prefix = continued_import(log, earlier)
    if new_rows_only and prefix is not None:
        return prefix.last_row
    listed = _listed(earlier)
    if new_rows_only:
        message = (
            f"--new-rows-only needs a finished earlier import into topic {topic} of a file "
            f"that {log.name} starts with, and none of the imports there qualifies: "
            f"{listed}. Only a plain, uncompressed CSV log with rows appended can continue "
            "an import. Import into a new topic with --topic, or pass --allow-other-imports "
            "to publish every row."
        )
    elif prefix is not None:
        message = (
            f"Topic {topic} already contains the import of {listed}. {prefix.file_name} is a "
            f"prefix of {log.name}, so importing it would publish its first "
            f"{prefix.last_row} rows again as new events. Pass --new-rows-only to publish "
            f"only the rows after row {prefix.last_row}, import into a new topic with "
            "--topic, or pass --allow-other-imports to publish every row anyway."
        )
    else:
        message = (
            f"Topic {topic} already contains the import of {listed}, another file than "
            f"{log.name} (sha256 {log.sha256[:12]}…). Rows or cases that both files contain "
            "would become duplicate events. Import into a new topic with --topic, or pass "
            "--allow-other-imports to publish every row anyway."
        )
    raise EarlierImportError(
        message, topic=topic, earlier_sha256=tuple(p.file_sha256 for p in earlier)
    )


def continued_import(log: EventLog, earlier: list[Progress]) -> Progress | None:
    """Return the longest finished import whose file `log` starts with, or None.

    Only a plain CSV log qualifies, because rows appended to it leave the bytes of the
    earlier rows in place. The earlier file must end with a line break, so that its last
    row is also a whole row of `log`. Each candidate costs one read of that many bytes.
    """
    if log.format != "csv" or log.compressed:
        return None
    candidates = [
        progress
        for progress in earlier
        if progress.finished
        and progress.file_bytes is not None
        and 0 < progress.file_bytes < log.size_bytes
    ]
    candidates.sort(key=lambda progress: progress.file_bytes or 0, reverse=True)
    for progress in candidates:
        size = progress.file_bytes or 0
        if _ends_line(log, size) and log.starts_with(size, progress.file_sha256):
            return progress
    return None


def describe_import(progress: Progress) -> str:
    """Return the file name, SHA-256 prefix and rows of an import, for messages."""
    state = "" if progress.finished else ", unfinished"
    sha = progress.file_sha256[:12]
    return f"{progress.file_name} (sha256 {sha}…, {progress.last_row} rows{state})"


def _ends_line(log: EventLog, size_bytes: int) -> bool:
    with log.path.open("rb") as handle:
        handle.seek(size_bytes - 1)
        return handle.read(1) == b"\n"


def _listed(imports: list[Progress]) -> str:
    return listed((describe_import(progress) for progress in imports), noun="files")
