"""Read operations of the registry: subjects, versions, schemas by id, levels and modes."""

from __future__ import annotations

from keybus.registry.server.avro import SchemaParser, check_levels
from keybus.registry.server.errors import ErrorCode
from keybus.registry.server.requests import LATEST, SchemaRequest
from keybus.registry.server.state import RegistryState, StoredSchema, StoredVersion
from keybus.types import SchemaId, Subject, Version

__all__ = ["DEFAULT_MODE", "RegistryQueries"]

DEFAULT_MODE = "READWRITE"


class RegistryQueries:
    """Serve read requests from the in-memory state."""

    def __init__(self, state: RegistryState, parser: SchemaParser, default_level: str) -> None:
        self.state = state
        self.parser = parser
        self.default_level = default_level

    def subjects(self, *, deleted: bool, prefix: str, deleted_only: bool = False) -> list[Subject]:
        """Return subject names, optionally with soft-deleted ones or only those."""
        names = self.state.subject_names(include_deleted=deleted or deleted_only, prefix=prefix)
        if deleted_only:
            live = set(self.state.subject_names(include_deleted=False, prefix=prefix))
            return [name for name in names if name not in live]
        return names

    def versions(self, subject: Subject, *, deleted: bool) -> list[StoredVersion]:
        """Return the versions of a subject, oldest first, or raise 40401 when it has none."""
        rows = self.state.versions(subject, include_deleted=deleted)
        if not rows:
            raise ErrorCode.SUBJECT_NOT_FOUND.error(subject=subject)
        return rows

    def version(self, subject: Subject, version: Version, *, deleted: bool) -> StoredVersion:
        """Return one version, where `LATEST` is the newest one that is not soft deleted."""
        rows = self.versions(subject, deleted=deleted)
        if version == LATEST:
            return rows[-1]
        for row in rows:
            if row.version == version:
                return row
        raise ErrorCode.VERSION_NOT_FOUND.error(subject=subject, version=version)

    def schema(self, schema_id: SchemaId, *, subject: Subject | None = None) -> StoredSchema:
        """Return the schema bound to an id.

        `subject` only chooses the schema context, and keybus has the default context
        alone, so a subject that does not use the id still gets the schema. Clients such
        as confluent-kafka's AvroDeserializer send the subject of their own naming
        strategy, which need not be the subject the writer registered under.
        """
        del subject
        stored = self.state.schemas_by_id.get(schema_id)
        if stored is None:
            raise ErrorCode.SCHEMA_NOT_FOUND.error(
                what=str(schema_id), detail="No version of any subject uses this id."
            )
        return stored

    def uses(
        self, schema_id: SchemaId, *, deleted: bool, subject: Subject | None = None
    ) -> list[StoredVersion]:
        """Return the versions bound to an id, or raise 40403 when none is."""
        self.schema(schema_id)
        rows = []
        for used_subject, used_version in self.state.uses_of(schema_id):
            row = self.state.subjects[used_subject][used_version]
            if (deleted or not row.deleted) and subject in (None, used_subject):
                rows.append(row)
        return rows

    def referenced_by(self, subject: Subject, version: Version) -> list[SchemaId]:
        """Return the ids of live schemas that reference one version of a subject."""
        row = self.version(subject, version, deleted=False)
        ids = {referrer.schema.schema_id for referrer in self.state.referrers(subject, row.version)}
        return sorted(ids)

    def compatibility_level(self, subject: Subject | None, *, default_to_global: bool) -> str:
        """Return the level of a subject or the global one, or raise 40408 if a subject has none."""
        if subject is not None:
            level = self.state.subject_compatibility.get(subject)
            if level is not None:
                return level
            if not default_to_global:
                raise ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED.error(subject=subject)
        return self.state.global_compatibility or self.default_level

    def mode(self, subject: Subject | None, *, default_to_global: bool) -> str:
        """Return the mode of a subject or the global one, or raise 40409 if a subject has none."""
        if subject is not None:
            mode = self.state.subject_modes.get(subject)
            if mode is not None:
                return mode
            if not default_to_global:
                raise ErrorCode.SUBJECT_MODE_NOT_CONFIGURED.error(subject=subject)
        return self.state.global_mode or DEFAULT_MODE

    def lookup(
        self, subject: Subject, request: SchemaRequest, *, normalize: bool, deleted: bool
    ) -> StoredVersion:
        """Find the version of a subject that contains this schema, or raise 40401 or 40403."""
        rows = self.versions(subject, deleted=deleted)
        parsed = self.parser.parse_request(
            subject, request.schema_text, request.references, normalize=normalize, lenient=True
        )
        for row in reversed(rows):
            if row.schema.references != parsed.references:
                continue
            if row.schema.schema_text == parsed.text:
                return row
            if (
                normalize
                and self.parser.parse_stored(row.schema, normalize=True).text == parsed.text
            ):
                return row
        raise ErrorCode.SCHEMA_NOT_FOUND.error(
            what="", detail=f"No version of subject '{subject}' holds this schema."
        )

    def test_compatibility(
        self, subject: Subject, version: Version | None, request: SchemaRequest, *, normalize: bool
    ) -> list[str]:
        """Return why a schema breaks the subject's compatibility level.

        With `version` None the schema is tested against the versions the level names
        (the latest, or all for a transitive level), else against that one version.
        """
        parsed = self.parser.parse_request(
            subject, request.schema_text, request.references, normalize=normalize, lenient=False
        )
        level = self.compatibility_level(subject, default_to_global=True)
        rows = self.state.versions(subject, include_deleted=False)
        if version == LATEST:
            rows = rows[-1:]
        elif version is not None:
            rows = [self.version(subject, version, deleted=False)]
        if version is not None:
            level = level.removesuffix("_TRANSITIVE")
        previous = [self.parser.parse_stored(row.schema) for row in rows]
        return check_levels(parsed.schema, previous, level)
