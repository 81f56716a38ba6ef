"""Registry writes and reads over the in-memory state.

The Kafka store is replaced by a fake writer that applies records to the state at once,
as the real store does once it has read them back. Schema parsing and compatibility
checks are real.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from keybus.registry.server.avro import SchemaParser
from keybus.registry.server.commands import RegistryCommands
from keybus.registry.server.errors import RegistryServiceError
from keybus.registry.server.queries import RegistryQueries
from keybus.registry.server.records import SchemaRecord, SchemaReference, StoreRecord
from keybus.registry.server.requests import LATEST, SchemaRequest
from keybus.registry.server.state import RegistryState
from keybus.types import SchemaId, Subject, Version

ORDERS = Subject("orders-value")


class FakeStore:
    """Apply written records to the state at once and remember the high-water marks."""

    def __init__(self, state: RegistryState) -> None:
        self.state = state
        self.marks: list[int | None] = []
        self.writes = 0

    async def write(
        self, records: Sequence[StoreRecord], *, high_water_mark: int | None = None
    ) -> None:
        self.writes += 1
        self.marks.append(high_water_mark)
        if high_water_mark is not None:
            self.state.note_schema_id(high_water_mark)
        for record in records:
            self.state.apply(record)


class Registry:
    """Commands and queries over one state and fake store."""

    def __init__(self) -> None:
        self.state = RegistryState()
        self.store = FakeStore(self.state)
        self.queries = RegistryQueries(self.state, SchemaParser(self.state), "BACKWARD")
        self.commands = RegistryCommands(self.queries, self.store)

    def register(self, subject: str, text: str, **fields: object) -> SchemaId:
        request = SchemaRequest(
            schema_text=text,
            schema_type="AVRO",
            references=tuple(fields.pop("references", ())),  # type: ignore[call-overload]
            schema_id=fields.pop("schema_id", None),  # type: ignore[arg-type]
            version=fields.pop("version", None),  # type: ignore[arg-type]
        )
        return asyncio.run(self.commands.register(Subject(subject), request, normalize=False))

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[Version]:
        return asyncio.run(self.commands.delete_subject(Subject(subject), permanent=permanent))

    def delete_version(self, subject: str, version: int, *, permanent: bool = False) -> Version:
        coroutine = self.commands.delete_version(
            Subject(subject), Version(version), permanent=permanent
        )
        return asyncio.run(coroutine)


def _record(name: str, *fields: str) -> str:
    return json.dumps(
        {"type": "record", "name": name, "fields": [{"name": f, "type": "string"} for f in fields]}
    )


@pytest.fixture
def registry() -> Registry:
    return Registry()


def _error(call: object) -> RegistryServiceError:
    assert isinstance(call, RegistryServiceError)
    return call


def test_equal_schema_keeps_id_and_version(registry: Registry) -> None:
    first = registry.register("orders-value", '{"type": "string"}')

    again = registry.register("orders-value", '"string"')
    elsewhere = registry.register("audit-value", '"string"')

    assert again == first
    assert elsewhere == first
    assert [row.version for row in registry.state.versions(ORDERS, include_deleted=True)] == [1]
    assert registry.store.writes == 2


def test_soft_deleted_version_number_not_reused(registry: Registry) -> None:
    schema_id = registry.register("orders-value", _record("Order", "id"))
    registry.delete_subject("orders-value")

    again = registry.register("orders-value", _record("Order", "id"))

    assert again == schema_id
    assert [row.version for row in registry.queries.versions(ORDERS, deleted=False)] == [2]


@pytest.mark.parametrize(
    ("permanent", "first_soft", "error_code"),
    [(False, True, 40404), (True, False, 40405)],
    ids=["soft-twice", "permanent-first"],
)
def test_subject_delete_order_enforced(
    registry: Registry, permanent: bool, first_soft: bool, error_code: int
) -> None:
    registry.register("orders-value", '"string"')
    if first_soft:
        registry.delete_subject("orders-value")

    with pytest.raises(RegistryServiceError) as raised:
        registry.delete_subject("orders-value", permanent=permanent)

    assert raised.value.error_code == error_code
    assert "orders-value" in raised.value.message


def test_version_delete_order_enforced(registry: Registry) -> None:
    registry.register("orders-value", '"string"')

    with pytest.raises(RegistryServiceError) as premature:
        registry.delete_version("orders-value", 1, permanent=True)
    soft = registry.delete_version("orders-value", 1)
    with pytest.raises(RegistryServiceError) as twice:
        registry.delete_version("orders-value", 1)
    permanent = registry.delete_version("orders-value", 1, permanent=True)

    assert premature.value.error_code == 40407
    assert soft == 1
    assert twice.value.error_code == 40406
    assert permanent == 1
    assert registry.store.marks[-1] == registry.state.max_schema_id


def test_referenced_version_not_deletable(registry: Registry) -> None:
    registry.register("line-value", _record("Line", "sku"))
    reference = SchemaReference("Line", Subject("line-value"), Version(1))
    order = json.dumps(
        {"type": "record", "name": "Order", "fields": [{"name": "line", "type": "Line"}]}
    )
    order_id = registry.register("orders-value", order, references=[reference])

    with pytest.raises(RegistryServiceError) as blocked:
        registry.delete_subject("line-value")
    registry.delete_subject("orders-value")
    released = registry.delete_subject("line-value")

    assert blocked.value.error_code == 42206
    assert "orders-value version 1" in blocked.value.message
    assert order_id == 2
    assert released == [1]


def test_missing_reference_rejected(registry: Registry) -> None:
    reference = SchemaReference("Line", Subject("line-value"), Version(3))

    with pytest.raises(RegistryServiceError) as raised:
        registry.register("orders-value", _record("Order", "id"), references=[reference])

    assert raised.value.error_code == 42201
    assert "line-value" in raised.value.message


def test_incompatible_schema_rejected_with_40901(registry: Registry) -> None:
    registry.register("orders-value", _record("Order", "id"))

    with pytest.raises(RegistryServiceError) as raised:
        registry.register("orders-value", _record("Order", "id", "customer"))

    assert raised.value.error_code == 40901
    assert raised.value.http_status == 409
    assert "customer" in raised.value.message
    assert "BACKWARD" in raised.value.message


def test_import_mode_rules(registry: Registry) -> None:
    asyncio.run(registry.commands.set_mode(None, "import", force=False))

    imported = registry.register("keys-value", '"string"', schema_id=50, version=3)
    with pytest.raises(RegistryServiceError) as overwrite:
        registry.register("other-value", '"long"', schema_id=50)
    with pytest.raises(RegistryServiceError) as version_taken:
        registry.register("keys-value", '"long"', schema_id=51, version=3)
    asyncio.run(registry.commands.set_mode(None, "READWRITE", force=False))
    plain = registry.register("plain-value", '"long"')

    assert imported == 50
    assert registry.queries.version(Subject("keys-value"), LATEST, deleted=False).version == 3
    assert overwrite.value.error_code == 42205
    assert "50" in overwrite.value.message
    assert version_taken.value.error_code == 42205
    assert plain == 51


def test_import_needs_empty_registry_or_force(registry: Registry) -> None:
    registry.register("orders-value", '"string"')

    with pytest.raises(RegistryServiceError) as raised:
        asyncio.run(registry.commands.set_mode(None, "IMPORT", force=False))
    forced = asyncio.run(registry.commands.set_mode(None, "IMPORT", force=True))

    assert raised.value.error_code == 42205
    assert "force=true" in raised.value.message
    assert forced == "IMPORT"


def test_read_only_subject_rejects_writes(registry: Registry) -> None:
    asyncio.run(registry.commands.set_mode(ORDERS, "READONLY", force=False))

    with pytest.raises(RegistryServiceError) as raised:
        registry.register("orders-value", '"string"')
    other = registry.register("audit-value", '"string"')

    assert raised.value.error_code == 42205
    assert "read-only" in raised.value.message
    assert other == 1


@pytest.mark.parametrize(("level", "error_code"), [("sideways", 42203), (None, 42203), (7, 42203)])
def test_invalid_level_rejected(registry: Registry, level: object, error_code: int) -> None:
    with pytest.raises(RegistryServiceError) as raised:
        asyncio.run(registry.commands.set_compatibility(None, level))

    assert raised.value.error_code == error_code
    assert registry.store.writes == 0


def test_delete_compatibility_returns_previous(registry: Registry) -> None:
    asyncio.run(registry.commands.set_compatibility(ORDERS, "full"))

    previous = asyncio.run(registry.commands.delete_compatibility(ORDERS))
    with pytest.raises(RegistryServiceError) as raised:
        registry.queries.compatibility_level(ORDERS, default_to_global=False)

    assert previous == "FULL"
    assert raised.value.error_code == 40408


def test_compatibility_test_against_one_version(registry: Registry) -> None:
    registry.register("orders-value", _record("Order", "id"))
    asyncio.run(registry.commands.set_compatibility(ORDERS, "NONE"))
    registry.register("orders-value", _record("Order", "id", "customer"))
    asyncio.run(registry.commands.set_compatibility(ORDERS, "BACKWARD_TRANSITIVE"))
    request = SchemaRequest(_record("Order", "id", "customer"), "AVRO", (), None, None)

    against_latest = registry.queries.test_compatibility(ORDERS, LATEST, request, normalize=False)
    against_first = registry.queries.test_compatibility(
        ORDERS, Version(1), request, normalize=False
    )
    against_all = registry.queries.test_compatibility(ORDERS, None, request, normalize=False)

    assert against_latest == []
    assert len(against_first) == 1
    assert len(against_all) == 1


def test_unreadable_stored_schema_rejected(registry: Registry) -> None:
    registry.state.apply(
        SchemaRecord(
            subject=ORDERS,
            version=Version(1),
            schema_id=SchemaId(3),
            schema_text='{"type": "object"}',
            schema_type="JSON",
        )
    )

    with pytest.raises(RegistryServiceError) as raised:
        registry.register("orders-value", '"string"')

    assert raised.value.error_code == 42201
    assert "Stored schema 3 of type JSON" in raised.value.message
