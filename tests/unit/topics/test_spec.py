"""Topic specs loaded from YAML: valid files and the messages for malformed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybus.retry.naming import replay_ledger_topic_name
from keybus.topics import TopicSpecError, load_topics

REPO = Path(__file__).resolve().parents[3]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(text)
    return path


def test_repository_topics_file_is_valid() -> None:
    specs = load_topics(REPO / "deploy" / "topics.yaml")

    assert specs
    assert len({spec.name for spec in specs}) == len(specs)


def test_repository_dead_letters_have_replay_ledgers() -> None:
    specs = {spec.name: spec for spec in load_topics(REPO / "deploy" / "topics.yaml")}
    dead_letter_topics = [name for name in specs if name.endswith(".dlq")]

    assert dead_letter_topics
    for name in dead_letter_topics:
        ledger = specs.get(replay_ledger_topic_name(name))
        assert ledger is not None, f"{name} has no replay ledger, so keybus dlq replay fails"
        assert ledger.config.get("cleanup.policy") == "compact"


def test_config_values_become_strings(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "topics:\n  - name: t1\n    partitions: 2\n    config:\n"
        "      retention.ms: 1000\n      unclean.leader.election.enable: false\n",
    )

    [spec] = load_topics(path)

    assert spec.partitions == 2
    assert spec.config == {"retention.ms": "1000", "unclean.leader.election.enable": "false"}


def test_not_yaml_names_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics: [\n  - name: t1\n")

    with pytest.raises(TopicSpecError) as excinfo:
        load_topics(path)

    assert f"Topics file {path} is not valid YAML" in str(excinfo.value)


def test_zero_partitions_names_topic_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - name: orders\n    partitions: 0\n")

    with pytest.raises(TopicSpecError) as excinfo:
        load_topics(path)

    message = str(excinfo.value)
    assert "topics[orders].partitions" in message
    assert "greater than or equal to 1" in message
    assert "got 0" in message


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - name: orders\n    partitons: 3\n")

    with pytest.raises(TopicSpecError) as excinfo:
        load_topics(path)

    message = str(excinfo.value)
    assert "topics[orders].partitons" in message
    assert "Extra inputs are not permitted" in message


def test_invalid_topic_name_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - name: 'bad name!'\n")

    with pytest.raises(TopicSpecError) as excinfo:
        load_topics(path)

    message = str(excinfo.value)
    assert "topics[bad name!].name" in message
    assert "should match pattern" in message


def test_duplicate_topic_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - name: a\n  - name: a\n")

    with pytest.raises(TopicSpecError) as excinfo:
        load_topics(path)

    assert "topic 'a' is declared twice" in str(excinfo.value)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TopicSpecError) as excinfo:
        load_topics(tmp_path / "absent.yaml")

    assert "does not exist. Create it or pass --file." in str(excinfo.value)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "")

    with pytest.raises(TopicSpecError) as caught:
        load_topics(path)

    assert str(path) in str(caught.value)
    assert "declares no topics" in str(caught.value)


def test_unknown_config_names_topic_and_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - name: orders\n    config:\n      retention.mss: 1000\n")

    with pytest.raises(TopicSpecError) as caught:
        load_topics(path)

    message = str(caught.value)
    assert str(path) in message
    assert "topic 'orders': config 'retention.mss' is not a Kafka topic config" in message
    assert "did you mean 'retention.ms'?" in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("cleanup.policy", "compactt", "'compactt' is not one of compact, delete"),
        ("cleanup.policy", "delete,compct", "'compct' is not one of compact, delete"),
        ("compression.type", "zstandard", "is not one of uncompressed, zstd, lz4"),
        ("message.timestamp.type", "createtime", "did you mean 'CreateTime'?"),
        ("preallocate", "yes", "'yes' is not one of true, false"),
    ],
)
def test_invalid_enum_value_is_rejected(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    path = _write(tmp_path, f"topics:\n  - name: orders\n    config:\n      {key}: '{value}'\n")

    with pytest.raises(TopicSpecError) as caught:
        load_topics(path)

    message = str(caught.value)
    assert f"topic 'orders': config {key}={value!r} is invalid" in message
    assert expected in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cleanup.policy", "compact,delete"),
        ("cleanup.policy", "compact, delete"),
        ("compression.type", "producer"),
        ("message.timestamp.type", "LogAppendTime"),
        ("unclean.leader.election.enable", "False"),
        ("retention.ms", "-1"),
    ],
)
def test_valid_config_is_accepted(tmp_path: Path, key: str, value: str) -> None:
    path = _write(tmp_path, f"topics:\n  - name: orders\n    config:\n      {key}: '{value}'\n")

    [spec] = load_topics(path)

    assert spec.config == {key: value}
