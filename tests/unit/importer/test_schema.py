"""Schema inference, the schema text, and reading a reviewed schema back."""

from __future__ import annotations

import pytest

from keybus.importer import LogMapping, MappingError, SourceRow
from keybus.importer.mapping import field_names
from keybus.importer.schema import (
    ColumnKind,
    build_schema,
    columns_from_schema,
    infer_columns,
)
from keybus.serde import parse_schema

BASE = {"case:concept:name": "c", "concept:name": "a", "time:timestamp": "2020-01-01"}


def _rows(values: list[dict[str, str]]) -> list[SourceRow]:
    return [SourceRow(i + 1, {**BASE, **row}) for i, row in enumerate(values)]


def _kinds(values: list[dict[str, str]], mapping: LogMapping | None = None) -> dict[str, object]:
    scan = infer_columns(_rows(values), mapping or LogMapping())
    return {a.column: (a.kind, a.nullable) for a in scan.attributes}


def test_narrowest_kind_inferred() -> None:
    kinds = _kinds(
        [
            {"flag": "true", "n": "12", "x": "35.0", "d": "2011-10-11", "t": "2011-10-11 10:00"},
            {"flag": "False", "n": "-3", "x": "1e3", "d": "2012-01-01", "t": "2012-01-01"},
        ]
    )

    assert kinds == {
        "flag": (ColumnKind.BOOLEAN, False),
        "n": (ColumnKind.LONG, False),
        "x": (ColumnKind.DOUBLE, False),
        "d": (ColumnKind.DATE, False),
        "t": (ColumnKind.TIMESTAMP, False),
    }


def test_leading_zeros_stay_text() -> None:
    assert _kinds([{"code": "007"}, {"code": "12"}])["code"] == (ColumnKind.STRING, False)


def test_missing_values_make_nullable() -> None:
    kinds = _kinds([{"n": "1", "g": "EMPTY"}, {"n": ""}])

    assert kinds["n"] == (ColumnKind.LONG, True)
    assert kinds["g"] == (ColumnKind.STRING, True)


def test_string_columns_forced() -> None:
    kinds = _kinds([{"n": "1"}], LogMapping(string_columns=("n",)))

    assert kinds["n"] == (ColumnKind.STRING, False)


def test_infer_rows_limits_sample() -> None:
    scan = infer_columns(_rows([{"n": "1"}, {"n": "x"}]), LogMapping(), infer_rows=1)

    assert scan.rows == 2
    assert scan.attributes[0].kind is ColumnKind.LONG


def test_missing_role_column_named() -> None:
    rows = [SourceRow(1, {"case": "c", "concept:name": "a", "time:timestamp": "2020-01-01"})]

    with pytest.raises(MappingError) as caught:
        infer_columns(rows, LogMapping())

    assert "The case column 'case:concept:name' is not in the log" in caught.value.message
    assert "--case" in caught.value.message


def test_field_names_sanitised_and_unique() -> None:
    names = field_names(["case:concept:name", "", "1st", "case_concept_name"])

    assert names == {
        "case:concept:name": "case_concept_name",
        "": "column_1",
        "1st": "_1st",
        "case_concept_name": "case_concept_name_2",
    }


def test_schema_round_trips_through_review() -> None:
    scan = infer_columns(_rows([{"org:group": "G", "n": "1"}, {"n": ""}]), LogMapping())
    schema = build_schema(LogMapping(record_name="com.example.Loan"), scan.attributes)

    parsed = parse_schema(schema)

    assert parsed.name == "com.example.Loan"
    assert columns_from_schema(schema, "test") == scan.attributes


def test_reviewed_schema_with_unsupported_type_rejected() -> None:
    scan = infer_columns(_rows([{"n": "1"}]), LogMapping())
    schema = build_schema(LogMapping(), scan.attributes)
    schema["fields"][-1]["type"]["fields"][0]["type"] = "bytes"

    with pytest.raises(MappingError) as caught:
        columns_from_schema(schema, "schema.avsc")

    assert "attribute field 'n' has type bytes" in caught.value.message


def test_unreadable_rows_not_inferred() -> None:
    rows = _rows([{"n": "1"}, {"n": "\ufffd", "extra": "x"}, {"n": "2"}])
    rows[1] = rows[1]._replace(error="line 3 is not UTF-8 text")

    scan = infer_columns(rows, LogMapping())

    kinds = {a.column: (a.kind, a.nullable) for a in scan.attributes}
    assert scan.rows == 3
    assert kinds["n"] == (ColumnKind.LONG, False)
    assert kinds["extra"] == (ColumnKind.STRING, True)


def test_unreadable_first_row_leaves_columns_required() -> None:
    rows = _rows([{}, {"n": "1"}, {"n": "2"}])
    rows[0] = rows[0]._replace(error="line 2 has 4 fields, the header 3")

    scan = infer_columns(rows, LogMapping())

    assert scan.attributes[0].column == "n"
    assert not scan.attributes[0].nullable
