"""Mapping files and their checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybus.importer import LogMapping, MappingError, load_mapping


def test_yaml_mapping_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(
        "case: CaseID\nactivity: Step\nexclude: [Secret]\n"
        "column_missing_values: {dismissal: [NIL]}\n"
    )

    mapping = load_mapping(path, activity="Task", timestamp=None)

    assert mapping.case == "CaseID"
    assert mapping.activity == "Task"
    assert mapping.timestamp == "time:timestamp"
    assert mapping.exclude == ("Secret",)
    assert mapping.missing_for("dismissal") == frozenset({"", "EMPTY", "NIL"})


def test_unknown_mapping_key_rejected(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("case_column: CaseID\n")

    with pytest.raises(MappingError) as caught:
        load_mapping(path)

    assert "unknown keys ['case_column']" in caught.value.message


def test_invalid_default_offset_rejected() -> None:
    with pytest.raises(MappingError) as caught:
        LogMapping(default_offset="CET")

    assert "default_offset 'CET' is invalid" in caught.value.message


def test_invalid_record_name_rejected() -> None:
    with pytest.raises(MappingError) as caught:
        LogMapping(record_name="loan-events.Event")

    assert "record_name 'loan-events.Event' is not an Avro full name" in caught.value.message


def test_fingerprint_changes_with_mapping() -> None:
    assert LogMapping().fingerprint() == LogMapping().fingerprint()
    assert LogMapping().fingerprint() != LogMapping(case="id").fingerprint()
