"""The in-memory registry state, rebuilt by applying records in order.

Pure logic; no broker.
"""

from __future__ import annotations

from keybus.registry.server.records import (
    ConfigRecord,
    DeleteSubjectRecord,
    ModeRecord,
    SchemaRecord,
    SchemaReference,
)
from keybus.registry.server.state import RegistryState
from keybus.types import SchemaId, Subject, Version

ORDERS = Subject("orders-value")
AUDIT = Subject("audit-value")


def _schema(
    subject: Subject, version: int, schema_id: int, text: str = '"string"', **extra: object
) -> SchemaRecord:
    return SchemaRecord(
        subject=subject,
        version=Version(version),
        schema_id=SchemaId(schema_id),
        schema_text=text,
        **extra,  # type: ignore[arg-type]
    )


def test_same_content_shares_id_across_subjects() -> None:
    state = RegistryState()

    state.apply(_schema(ORDERS, 1, 5))
    state.apply(_schema(AUDIT, 1, 5))

    assert state.uses_of(SchemaId(5)) == [(AUDIT, 1), (ORDERS, 1)]
    assert state.ids_by_content[("AVRO", '"string"', ())] == 5
    assert state.max_schema_id == 5


def test_delete_subject_marks_versions_up_to_version() -> None:
    state = RegistryState()
    for version in (1, 2, 3):
        state.apply(_schema(ORDERS, version, version, f'"v{version}"'))

    state.apply(DeleteSubjectRecord(ORDERS, Version(2)))

    live = [row.version for row in state.versions(ORDERS, include_deleted=False)]
    assert live == [3]
    assert state.subject_names(include_deleted=False) == [ORDERS]


def test_tombstone_releases_id_but_keeps_max() -> None:
    state = RegistryState()
    state.apply(_schema(ORDERS, 1, 9))

    state.apply(SchemaRecord(subject=ORDERS, version=Version(1)))

    assert SchemaId(9) not in state.schemas_by_id
    assert ORDERS not in state.subjects
    assert state.ids_by_content == {}
    assert state.max_schema_id == 9


def test_id_keeps_first_content() -> None:
    state = RegistryState()
    state.apply(_schema(ORDERS, 1, 4, '"string"'))

    state.apply(_schema(AUDIT, 1, 4, '"long"'))

    assert state.schemas_by_id[SchemaId(4)].schema_text == '"string"'


def test_high_water_mark_raises_max_only() -> None:
    state = RegistryState()
    state.apply(_schema(ORDERS, 1, 12))

    state.note_schema_id(7)
    state.note_schema_id(30)

    assert state.max_schema_id == 30


def test_config_and_mode_set_and_clear() -> None:
    state = RegistryState()

    state.apply(ConfigRecord(None, "FULL"))
    state.apply(ConfigRecord(ORDERS, "NONE"))
    state.apply(ModeRecord(ORDERS, "READONLY"))
    state.apply(ConfigRecord(ORDERS, None))

    assert state.global_compatibility == "FULL"
    assert state.subject_compatibility == {}
    assert state.subject_modes == {ORDERS: "READONLY"}


def test_referrers_ignore_soft_deleted() -> None:
    state = RegistryState()
    reference = SchemaReference("Line", AUDIT, Version(1))
    state.apply(_schema(AUDIT, 1, 1))
    state.apply(_schema(ORDERS, 1, 2, '"x"', references=(reference,)))

    live = [row.subject for row in state.referrers(AUDIT, Version(1))]
    state.apply(_schema(ORDERS, 1, 2, '"x"', references=(reference,), deleted=True))

    assert live == [ORDERS]
    assert state.referrers(AUDIT, Version(1)) == []


def test_generation_grows_with_each_record() -> None:
    state = RegistryState()

    state.apply(ConfigRecord(None, "FULL"))
    state.apply(ModeRecord(None, "READWRITE"))

    assert state.generation == 2
