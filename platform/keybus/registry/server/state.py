"""The in-memory view of the registry, rebuilt by applying the schemas topic in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from keybus.registry.server.records import (
    ConfigRecord,
    DeleteSubjectRecord,
    ModeRecord,
    SchemaRecord,
    SchemaReference,
    StoreRecord,
)
from keybus.types import SchemaId, Subject, Version

__all__ = ["ContentKey", "RegistryState", "StoredSchema", "StoredVersion"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """The content bound to one schema id, which stays bound to it forever."""

    schema_id: SchemaId
    schema_text: str
    schema_type: str
    references: tuple[SchemaReference, ...]

    @property
    def content_key(self) -> ContentKey:
        """The identity of the content: type, text and references."""
        return (self.schema_type, self.schema_text, self.references)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One version of one subject."""

    subject: Subject
    version: Version
    schema: StoredSchema
    deleted: bool


ContentKey = tuple[str, str, tuple[SchemaReference, ...]]


class RegistryState:
    """Subjects, versions, schema ids, compatibility levels and modes.

    Only `apply` changes the state, so every instance that reads the same topic has the
    same state. `generation` grows with every applied change, for caches to check.
    """

    def __init__(self) -> None:
        self.subjects: dict[Subject, dict[Version, StoredVersion]] = {}
        self.schemas_by_id: dict[SchemaId, StoredSchema] = {}
        self.ids_by_content: dict[ContentKey, SchemaId] = {}
        self.max_schema_id = 0
        self.global_compatibility: str | None = None
        self.subject_compatibility: dict[Subject, str] = {}
        self.global_mode: str | None = None
        self.subject_modes: dict[Subject, str] = {}
        self.generation = 0
        self._id_users: dict[SchemaId, set[tuple[Subject, Version]]] = {}

    def apply(self, record: StoreRecord) -> None:
        """Apply one decoded record of the schemas topic."""
        self.generation += 1
        if isinstance(record, SchemaRecord):
            self._apply_schema(record)
        elif isinstance(record, ConfigRecord):
            _set_or_clear(self.subject_compatibility, record.subject, record.compatibility_level)
            if record.subject is None:
                self.global_compatibility = record.compatibility_level
        elif isinstance(record, ModeRecord):
            _set_or_clear(self.subject_modes, record.subject, record.mode)
            if record.subject is None:
                self.global_mode = record.mode
        elif isinstance(record, DeleteSubjectRecord):
            self._apply_delete_subject(record)

    def note_schema_id(self, schema_id: int) -> None:
        """Record that `schema_id` was issued, so that it is never issued again."""
        self.max_schema_id = max(self.max_schema_id, schema_id)

    def versions(self, subject: Subject, *, include_deleted: bool) -> list[StoredVersion]:
        """Return the versions of `subject`, oldest first."""
        rows = self.subjects.get(subject, {})
        return [rows[v] for v in sorted(rows) if include_deleted or not rows[v].deleted]

    def subject_names(self, *, include_deleted: bool, prefix: str = "") -> list[Subject]:
        """Return the subjects with at least one version, sorted by name."""
        return sorted(
            subject
            for subject, rows in self.subjects.items()
            if subject.startswith(prefix)
            and any(include_deleted or not r.deleted for r in rows.values())
        )

    def uses_of(self, schema_id: SchemaId) -> list[tuple[Subject, Version]]:
        """Return the (subject, version) pairs bound to `schema_id`, sorted."""
        return sorted(self._id_users.get(schema_id, ()))

    def referrers(self, subject: Subject, version: Version) -> list[StoredVersion]:
        """Return the live versions whose schema references `subject` at `version`."""
        found = []
        for rows in self.subjects.values():
            for row in rows.values():
                if row.deleted:
                    continue
                if any(
                    r.subject == subject and r.version == version for r in row.schema.references
                ):
                    found.append(row)
        return found

    def _apply_schema(self, record: SchemaRecord) -> None:
        key = (record.subject, record.version)
        rows = self.subjects.setdefault(record.subject, {})
        previous = rows.pop(record.version, None)
        if previous is not None:
            self._release(previous.schema.schema_id, key)
        if record.schema_text is None:
            if not rows:
                del self.subjects[record.subject]
            return

        schema = StoredSchema(
            record.schema_id, record.schema_text, record.schema_type, record.references
        )
        bound = self.schemas_by_id.get(schema.schema_id)
        if bound is not None and bound.content_key != schema.content_key:
            logger.warning(
                "Schema id bound to two contents in the schemas topic: subject=%s version=%s "
                "schema_id=%s; keeping the first content",
                record.subject,
                record.version,
                record.schema_id,
            )
            schema = bound
        rows[record.version] = StoredVersion(record.subject, record.version, schema, record.deleted)
        self.schemas_by_id[schema.schema_id] = schema
        self.ids_by_content.setdefault(schema.content_key, schema.schema_id)
        self._id_users.setdefault(schema.schema_id, set()).add(key)
        self.note_schema_id(schema.schema_id)

    def _release(self, schema_id: SchemaId, key: tuple[Subject, Version]) -> None:
        users = self._id_users.get(schema_id)
        if users is None:
            return
        users.discard(key)
        if users:
            return
        del self._id_users[schema_id]
        schema = self.schemas_by_id.pop(schema_id)
        if self.ids_by_content.get(schema.content_key) == schema_id:
            del self.ids_by_content[schema.content_key]

    def _apply_delete_subject(self, record: DeleteSubjectRecord) -> None:
        rows = self.subjects.get(record.subject, {})
        for version, row in list(rows.items()):
            if version <= record.version:
                rows[version] = replace(row, deleted=True)


def _set_or_clear(table: dict[Subject, str], subject: Subject | None, value: str | None) -> None:
    if subject is None:
        return
    if value is None:
        table.pop(subject, None)
    else:
        table[subject] = value
