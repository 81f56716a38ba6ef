"""Bad files, names and paths end a command with one error line and exit code 1.

Real: the `keybus` Typer app, run in-process with Typer's runner, on files each test
writes. No Kafka runs: every check here fails before a client starts, and the broker
address is a free loopback port, so a command that got past its checks would fail with
"Kafka is not reachable" instead of the expected line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.testing import free_port

runner = CliRunner()

_ROWS = (
    "case:concept:name,concept:name,time:timestamp\n"
    "o-1,placed,2026-03-02T12:00:00Z\n"
    "o-1,paid,2026-03-02T12:05:00Z\n"
)


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEYBUS_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("KEYBUS_REGISTRY_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("KEYBUS_TOPIC_PREFIX", raising=False)


def _event_log(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.write_text(_ROWS)
    return path


def _single_error(args: list[str]) -> str:
    """Run `keybus args`, check the exit code and the output's form; return the error."""
    result = runner.invoke(app, args)

    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, result.output
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return errors[0]


def test_random_bytes_csv_rejected_naming_line(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(128, 256)) * 20)

    error = _single_error(["import", str(path), "--topic", "orders", "--dry-run"])

    assert f"CSV header of {path} (line 1) is not UTF-8 text: byte 0x80" in error
    assert "Convert the file to UTF-8" in error


def test_row_with_invalid_bytes_leaves_other_rows(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(_ROWS.encode() + b"o-1,\xff\xfeshipped,2026-03-02T12:10:00Z\n")

    result = runner.invoke(app, ["import", str(path), "--topic", "orders", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "rows: 3" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("case: [oops\n", "is not valid YAML at line 2 column 1: expected ',' or ']'"),
        ("case: [a, b]\n", "gives case the value ['a', 'b'], but case takes one text value"),
        ("exclude: org:resource\n", "exclude takes a list of column names or values"),
        ("- case\n", "must hold a YAML mapping"),
    ],
)
def test_bad_mapping_file_named(tmp_path: Path, text: str, expected: str) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text)
    args = ["import", str(_event_log(tmp_path)), "--topic", "orders", "--mapping", str(mapping)]

    error = _single_error([*args, "--dry-run"])

    assert str(mapping) in error
    assert expected in error


def test_missing_mapping_file_named(tmp_path: Path) -> None:
    mapping = tmp_path / "nonexist.yaml"
    args = ["import", str(_event_log(tmp_path)), "--topic", "orders", "--mapping", str(mapping)]

    error = _single_error(args)

    assert f"Cannot read the mapping file {mapping}: No such file or directory" in error


def test_binary_mapping_file_named(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_bytes(b"case: \xff\xfe\n")
    args = ["import", str(_event_log(tmp_path)), "--topic", "orders", "--mapping", str(mapping)]

    error = _single_error(args)

    assert f"Cannot read the mapping file {mapping}: it is not UTF-8 text (byte 0xff" in error


@pytest.mark.parametrize(
    ("topic", "problem"),
    [
        ("bad topic", "it contains ' '"),
        ("orders/v1", "it contains '/'"),
        ("..", "Kafka reserves it"),
        ("t" * 250, "it has 250 characters"),
    ],
)
def test_import_invalid_topic_named(tmp_path: Path, topic: str, problem: str) -> None:
    error = _single_error(["import", str(_event_log(tmp_path)), "--topic", topic])

    assert error.startswith("error: --topic: Topic name ")
    assert f"is invalid because {problem}" in error


def test_import_progress_topic_too_long(tmp_path: Path) -> None:
    topic = "t" * 240

    error = _single_error(["import", str(_event_log(tmp_path)), "--topic", topic])

    assert "error: the progress topic derived from --topic: Topic name" in error
    assert "is invalid because it has 256 characters" in error


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (["event-log", "replay", "--topic", "bad topic", "--db", "e.sqlite"], "--topic"),
        (["dlq", "list", "bad topic"], "the TOPIC argument"),
        (["dlq", "replay", "bad topic", "--dry-run"], "the TOPIC argument"),
        (
            ["replay", "--projection", "delivery-status", "--topic-prefix", "bad topic"],
            "--topic-prefix or KEYBUS_TOPIC_PREFIX",
        ),
        (["registry", "serve", "--schemas-topic", "bad topic"], "--schemas-topic"),
    ],
)
def test_invalid_topic_rejected_before_kafka(args: list[str], setting: str) -> None:
    error = _single_error(args)

    assert f"{setting}: Topic name 'bad topic' is invalid because it contains ' '" in error


@pytest.mark.parametrize(
    "args",
    [
        ["event-log", "replay", "--topic", "orders"],
        ["replay", "--projection", "delivery-status"],
    ],
)
def test_database_in_missing_folder_named(args: list[str], tmp_path: Path) -> None:
    database = tmp_path / "missing" / "x.sqlite"
    if args[0] == "replay":
        (tmp_path / "missing").write_text("a file, so the folder cannot be created")

    error = _single_error([*args, "--db", str(database)])

    assert f"--db {database}" in error


@pytest.mark.parametrize(
    "args",
    [
        ["event-log", "replay", "--topic", "orders"],
        ["replay", "--projection", "delivery-status"],
    ],
)
def test_database_path_that_is_folder_named(args: list[str], tmp_path: Path) -> None:
    error = _single_error([*args, "--db", str(tmp_path)])

    assert f"--db {tmp_path} is a folder" in error


def test_replay_creates_database_folder(tmp_path: Path) -> None:
    database = tmp_path / "new" / "x.sqlite"

    error = _single_error(["replay", "--projection", "delivery-status", "--db", str(database)])

    assert "Kafka is not reachable" in error
    assert database.parent.is_dir()


def test_schema_out_in_missing_folder_named(tmp_path: Path) -> None:
    schema_out = tmp_path / "missing" / "log.avsc"
    args = ["import", str(_event_log(tmp_path)), "--topic", "orders", "--dry-run"]

    error = _single_error([*args, "--schema-out", str(schema_out)])

    assert f"Folder {schema_out.parent} of --schema-out {schema_out} does not exist" in error


def test_rejects_path_that_is_folder_named(tmp_path: Path) -> None:
    args = ["import", str(_event_log(tmp_path)), "--topic", "orders"]

    error = _single_error([*args, "--rejects", str(tmp_path)])

    assert f"--rejects {tmp_path} is a folder" in error


def test_binary_schema_file_named(tmp_path: Path) -> None:
    schema = tmp_path / "log.avsc"
    schema.write_bytes(b"\xff\xfe{}")
    args = ["import", str(_event_log(tmp_path)), "--topic", "orders", "--schema", str(schema)]

    error = _single_error(args)

    assert f"Schema file {schema} is not UTF-8 text (byte 0xff at offset 0)" in error


_BAD_YAML = b"topics: [oops\n"
_BINARY = b"\xae\xff\x00binary"


@pytest.mark.parametrize(
    ("args", "content", "expected"),
    [
        (["topics", "plan", "-f"], _BAD_YAML, "Topics file {path} is not valid YAML at line 2"),
        (["topics", "plan", "-f"], _BINARY, "Cannot read the topics file {path}: it is not UTF-8"),
        (
            ["topics", "plan", "-f", "{tmp}/topics.yaml", "--subscriptions"],
            _BAD_YAML,
            "Subscriptions file {path} is not valid YAML at line 2",
        ),
        (["rules", "check"], _BAD_YAML, "rules file {path}: not valid YAML at line 2"),
        (["rules", "check"], _BINARY, "rules file {path}: cannot read the file: it is not UTF-8"),
        (["deploy", "up", "-f"], _BAD_YAML, "Processors file {path} is not valid YAML at line 2"),
        (["deploy", "up", "-f"], _BINARY, "Cannot read the processors file {path}: it is not"),
    ],
)
def test_unreadable_config_file_named(
    args: list[str], content: bytes, expected: str, tmp_path: Path
) -> None:
    (tmp_path / "topics.yaml").write_text(
        "topics:\n  - name: orders\n    partitions: 1\n    replication_factor: 1\n"
    )
    path = tmp_path / "input.yaml"
    path.write_bytes(content)
    filled = [arg.format(tmp=tmp_path) for arg in args]

    error = _single_error([*filled, str(path)])

    assert expected.format(path=path) in error


@pytest.mark.parametrize("command", ["register", "check", "codegen"])
def test_binary_catalog_schema_named(command: str, tmp_path: Path) -> None:
    catalog = tmp_path / "avro"
    catalog.mkdir()
    schema = catalog / "com.example.Broken.avsc"
    schema.write_bytes(b"\xda\xff{}")

    error = _single_error(["schemas", command, "--catalog", str(catalog)])

    assert f"Cannot read schema file {schema}: it is not UTF-8 text (byte 0xda" in error


@pytest.mark.parametrize("extra", [["--dry-run"], []])
def test_schema_out_over_log_rejected(tmp_path: Path, extra: list[str]) -> None:
    log = _event_log(tmp_path)

    error = _single_error(
        ["import", str(log), "--topic", "orders", "--schema-out", "./orders.csv", *extra]
    )

    assert "--schema-out orders.csv names the input file" in error
    assert log.read_text() == _ROWS


def test_rejects_over_schema_out_rejected(tmp_path: Path) -> None:
    log = _event_log(tmp_path)

    error = _single_error(
        ["import", str(log), "--topic", "orders", "--schema-out", "s.avsc", "--rejects", "s.avsc"]
    )

    assert "--rejects s.avsc names the input file s.avsc" in error


def test_message_max_bytes_out_of_range(tmp_path: Path) -> None:
    log = _event_log(tmp_path)

    result = runner.invoke(
        app, ["import", str(log), "--topic", "orders", "--message-max-bytes", "0"]
    )

    assert result.exit_code == 2, result.output
    assert "--message-max-bytes" in result.output
    assert "Traceback" not in result.output
