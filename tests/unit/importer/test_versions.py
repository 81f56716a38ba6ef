"""Which earlier imports a new import may continue, and when it must stop.

Real files written by each test; the progress records are built in the test, with no
Kafka. The CLI test stops on its flags before it connects to anything.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.importer import EarlierImportError, Progress, open_log
from keybus.importer.versions import continued_import, first_row_to_publish

HEADER = b"case:concept:name,concept:name,time:timestamp\n"
ROWS = [b"c1,A,2020-01-01T00:00:00Z\n", b"c1,B,2020-01-01T01:00:00Z\n"]
APPENDED = b"c2,A,2020-01-02T00:00:00Z\n"
TOPIC = "orders"


def _progress(content: bytes, name: str, *, rows: int, finished: bool = True) -> Progress:
    return Progress(
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_name=name,
        last_row=rows,
        events=rows,
        rejects=0,
        finished=finished,
        mapping_fingerprint="m",
        schema_fingerprint="s",
        file_bytes=len(content),
    )


def _by_sha(*imports: Progress) -> dict[str, Progress]:
    return {progress.file_sha256: progress for progress in imports}


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_no_other_import_publishes_every_row(tmp_path: Path) -> None:
    content = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv", content))
    same = _progress(content, "log.csv", rows=2)

    assert first_row_to_publish(log, {}, TOPIC) == 0
    assert first_row_to_publish(log, _by_sha(same), TOPIC) == 0


def test_grown_log_stops_naming_earlier_import(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv", earlier + APPENDED))
    imports = _by_sha(_progress(earlier, "log.csv", rows=2))

    with pytest.raises(EarlierImportError) as raised:
        first_row_to_publish(log, imports, TOPIC)

    message = str(raised.value)
    sha = hashlib.sha256(earlier).hexdigest()[:12]
    assert f"Topic orders already contains the import of log.csv (sha256 {sha}…, 2 rows)" in message
    assert "log.csv is a prefix of log.csv" in message
    assert "--new-rows-only to publish only the rows after row 2" in message
    assert raised.value.earlier_sha256 == (hashlib.sha256(earlier).hexdigest(),)


def test_new_rows_only_continues_prefix(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv", earlier + APPENDED))
    imports = _by_sha(_progress(earlier, "log.csv", rows=2))

    assert first_row_to_publish(log, imports, TOPIC, new_rows_only=True) == 2


def test_new_rows_only_takes_longest_prefix(tmp_path: Path) -> None:
    first = HEADER + ROWS[0]
    second = first + ROWS[1]
    log = open_log(_write(tmp_path / "log.csv", second + APPENDED))
    imports = _by_sha(_progress(first, "log.csv", rows=1), _progress(second, "log.csv", rows=2))

    assert first_row_to_publish(log, imports, TOPIC, new_rows_only=True) == 2


def test_allow_other_imports_publishes_every_row(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv", earlier + APPENDED))
    imports = _by_sha(_progress(earlier, "log.csv", rows=2))

    assert first_row_to_publish(log, imports, TOPIC, allow_other_imports=True) == 0


def test_changed_row_is_not_prefix(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    changed = earlier.replace(b",B,", b",C,")
    log = open_log(_write(tmp_path / "log.csv", changed + APPENDED))
    imports = _by_sha(_progress(earlier, "log.csv", rows=2))

    with pytest.raises(EarlierImportError) as raised:
        first_row_to_publish(log, imports, TOPIC, new_rows_only=True)

    assert "none of the imports there qualifies" in str(raised.value)


def test_other_file_stops_without_prefix_hint(tmp_path: Path) -> None:
    other = HEADER + APPENDED
    log = open_log(_write(tmp_path / "log.csv", HEADER + b"".join(ROWS)))
    imports = _by_sha(_progress(other, "other.csv", rows=1))

    with pytest.raises(EarlierImportError) as raised:
        first_row_to_publish(log, imports, TOPIC)

    message = str(raised.value)
    assert "already contains the import of other.csv" in message
    assert "another file than log.csv" in message
    assert "--new-rows-only" not in message


def test_unfinished_import_is_not_continued(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv", earlier + APPENDED))
    unfinished = _progress(earlier, "log.csv", rows=1, finished=False)

    assert continued_import(log, [unfinished]) is None


def test_earlier_file_without_final_line_break_is_not_continued(tmp_path: Path) -> None:
    earlier = HEADER + ROWS[0] + ROWS[1].rstrip(b"\n")
    log = open_log(_write(tmp_path / "log.csv", earlier + b"9\n" + APPENDED))

    assert continued_import(log, [_progress(earlier, "log.csv", rows=2)]) is None


def test_gzip_log_is_not_continued(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv.gz", gzip.compress(earlier + APPENDED)))

    assert continued_import(log, [_progress(earlier, "log.csv", rows=2)]) is None


def test_record_without_file_size_is_not_continued(tmp_path: Path) -> None:
    earlier = HEADER + b"".join(ROWS)
    log = open_log(_write(tmp_path / "log.csv", earlier + APPENDED))
    legacy = Progress.from_json(
        b'{"file_sha256": "%s", "file_name": "log.csv", "last_row": 2, "events": 2, '
        b'"rejects": 0, "finished": true, "mapping_fingerprint": "m", '
        b'"schema_fingerprint": "s"}' % hashlib.sha256(earlier).hexdigest().encode()
    )

    assert legacy.file_bytes is None
    assert continued_import(log, [legacy]) is None


def test_cli_rejects_both_version_flags(tmp_path: Path) -> None:
    log = _write(tmp_path / "log.csv", HEADER + b"".join(ROWS))
    flags = ["--new-rows-only", "--allow-other-imports"]
    args = ["import", str(log), "--topic", TOPIC, *flags, "--bootstrap-servers", "127.0.0.1:1"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 2
    assert "exclude each other" in " ".join(result.output.split())
