"""Write operations of the registry: register, delete, levels and modes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from keybus.registry.server.avro import COMPATIBILITY_LEVELS, check_levels
from keybus.registry.server.errors import ErrorCode
from keybus.registry.server.queries import RegistryQueries
from keybus.registry.server.records import (
    ConfigRecord,
    DeleteSubjectRecord,
    ModeRecord,
    SchemaRecord,
    StoreRecord,
)
from keybus.registry.server.requests import LATEST, SchemaRequest
from keybus.registry.server.state import StoredVersion
from keybus.types import SchemaId, Subject, Version

__all__ = ["MODES", "RegistryCommands", "StoreWriter"]

logger = logging.getLogger(__name__)

MODES = frozenset({"READWRITE", "READONLY", "IMPORT"})


class StoreWriter(Protocol):
    """Where the primary writes records. `write` returns once the state has applied them."""

    async def write(
        self, records: Sequence[StoreRecord], *, high_water_mark: int | None = None
    ) -> None:
        """Write records in one transaction and wait until the local state applied them."""


class RegistryCommands:
    """Turn write requests into records, one request at a time, on the primary."""

    def __init__(self, queries: RegistryQueries, store: StoreWriter) -> None:
        self._queries = queries
        self._state = queries.state
        self._parser = queries.parser
        self._store = store
        self._lock = asyncio.Lock()

    async def register(
        self, subject: Subject, request: SchemaRequest, *, normalize: bool
    ) -> SchemaId:
        """Register a schema under a subject and return its id, reusing an equal schema's id."""
        async with self._lock:
            mode = self._registration_mode(subject, request)
            parsed = self._parser.parse_request(
                subject,
                request.schema_text,
                request.references,
                normalize=normalize,
                lenient=mode == "IMPORT",
            )
            content_key = (request.schema_type, parsed.text, parsed.references)
            existing = self._find_live(subject, content_key[1:], normalize=normalize)
            if existing is not None and request.version in (None, existing.version):
                self._check_bound_id(request.schema_id, existing.schema.schema_id, subject)
                return existing.schema.schema_id

            schema_id = self._choose_id(request.schema_id, content_key, subject)
            version = self._choose_version(subject, request.version, mode, schema_id)
            if mode != "IMPORT":
                self._check_compatible(subject, parsed.schema)
            record = SchemaRecord(
                subject=subject,
                version=version,
                schema_id=schema_id,
                schema_text=parsed.text,
                schema_type=request.schema_type,
                references=parsed.references,
            )
            await self._store.write([record])
            logger.info(
                "Registered schema subject=%s version=%s schema_id=%s", subject, version, schema_id
            )
            return schema_id

    def _registration_mode(self, subject: Subject, request: SchemaRequest) -> str:
        mode = self._writable_mode(subject)
        if request.schema_id is not None and mode != "IMPORT":
            raise ErrorCode.OPERATION_NOT_PERMITTED.error(
                detail=f"Subject '{subject}' is in {mode} mode, and a schema id may be given "
                "only in IMPORT mode. Leave out 'id' or PUT /mode IMPORT first."
            )
        return mode

    def _writable_mode(self, subject: Subject) -> str:
        mode = self._queries.mode(subject, default_to_global=True)
        if mode == "READONLY":
            raise ErrorCode.OPERATION_NOT_PERMITTED.error(
                detail=f"Subject '{subject}' is in read-only mode, so writes are rejected. "
                "PUT /mode READWRITE to allow them."
            )
        return mode

    def _find_live(
        self, subject: Subject, text_and_references: tuple[object, ...], *, normalize: bool
    ) -> StoredVersion | None:
        for row in reversed(self._state.versions(subject, include_deleted=False)):
            stored = row.schema
            text = stored.schema_text
            if normalize:
                text = self._parser.parse_stored(stored, normalize=True).text
            if (text, stored.references) == text_and_references:
                return row
        return None

    def _check_bound_id(self, requested: int | None, bound: int, subject: Subject) -> None:
        if requested is not None and requested != bound:
            raise ErrorCode.OPERATION_NOT_PERMITTED.error(
                detail=f"Subject '{subject}' already contains this schema under id {bound}, so "
                f"it cannot be registered again under id {requested}."
            )

    def _choose_id(
        self,
        requested: int | None,
        content_key: tuple[str, str, tuple[object, ...]],
        subject: Subject,
    ) -> SchemaId:
        known = self._state.ids_by_content.get(content_key)  # type: ignore[arg-type]
        if requested is None:
            return known if known is not None else SchemaId(self._state.max_schema_id + 1)
        bound = self._state.schemas_by_id.get(SchemaId(requested))
        if bound is not None and bound.content_key != content_key:
            raise ErrorCode.OPERATION_NOT_PERMITTED.error(
                detail=f"Overwrite new schema with id {requested} is not permitted: the id is "
                "bound to a different schema. Import this schema under an unused id."
            )
        return SchemaId(requested)

    def _choose_version(
        self, subject: Subject, requested: Version | None, mode: str, schema_id: SchemaId
    ) -> Version:
        rows = self._state.subjects.get(subject, {})
        next_version = Version(max(rows, default=0) + 1)
        if requested is None or requested == next_version:
            return next_version
        if mode != "IMPORT":
            raise ErrorCode.INVALID_VERSION.error(version=requested)
        taken = rows.get(requested)
        if taken is not None and taken.schema.schema_id != schema_id:
            raise ErrorCode.OPERATION_NOT_PERMITTED.error(
                detail=f"Overwrite new schema with version {requested} of subject '{subject}' "
                f"is not permitted: it holds schema id {taken.schema.schema_id}."
            )
        return requested

    def _check_compatible(self, subject: Subject, schema: object) -> None:
        level = self._queries.compatibility_level(subject, default_to_global=True)
        rows = self._state.versions(subject, include_deleted=False)
        if not rows or level == "NONE":
            return
        previous = [self._parser.parse_stored(row.schema) for row in rows]
        messages = check_levels(schema, previous, level)  # type: ignore[arg-type]
        if messages:
            raise ErrorCode.INCOMPATIBLE_SCHEMA.error(
                subject=subject, level=level, detail="; ".join(messages)
            )

    async def delete_subject(self, subject: Subject, *, permanent: bool) -> list[Version]:
        """Soft delete every live version, or permanently delete the soft-deleted ones."""
        async with self._lock:
            self._writable_mode(subject)
            rows = self._state.versions(subject, include_deleted=True)
            if not rows:
                raise ErrorCode.SUBJECT_NOT_FOUND.error(subject=subject)
            live = [row for row in rows if not row.deleted]
            if permanent and live:
                raise ErrorCode.SUBJECT_NOT_SOFT_DELETED.error(subject=subject)
            if not permanent and not live:
                raise ErrorCode.SUBJECT_SOFT_DELETED.error(subject=subject)
            targets = rows if permanent else live
            for row in targets:
                self._check_unreferenced(row)
            records: list[StoreRecord] = [_deleted_record(row, permanent) for row in targets]
            if permanent:
                records += self._subject_settings_tombstones(subject)
            else:
                records.append(DeleteSubjectRecord(subject, targets[-1].version))
            await self._write_deletes(records, permanent)
            for row in targets:
                _log_delete(row, permanent)
            return [row.version for row in targets]

    async def delete_version(
        self, subject: Subject, version: Version, *, permanent: bool
    ) -> Version:
        """Soft delete one version, or permanently delete a soft-deleted one."""
        async with self._lock:
            self._writable_mode(subject)
            row = self._find_version(subject, version, permanent=permanent)
            if permanent and not row.deleted:
                raise ErrorCode.VERSION_NOT_SOFT_DELETED.error(subject=subject, version=row.version)
            if not permanent and row.deleted:
                raise ErrorCode.VERSION_SOFT_DELETED.error(subject=subject, version=row.version)
            self._check_unreferenced(row)
            await self._write_deletes([_deleted_record(row, permanent)], permanent)
            _log_delete(row, permanent)
            return row.version

    def _find_version(
        self, subject: Subject, version: Version, *, permanent: bool
    ) -> StoredVersion:
        rows = self._state.versions(subject, include_deleted=True)
        if not rows:
            raise ErrorCode.SUBJECT_NOT_FOUND.error(subject=subject)
        if version == LATEST:
            candidates = rows if permanent else [row for row in rows if not row.deleted]
            if not candidates:
                raise ErrorCode.SUBJECT_SOFT_DELETED.error(subject=subject)
            return candidates[-1]
        for row in rows:
            if row.version == version:
                return row
        raise ErrorCode.VERSION_NOT_FOUND.error(subject=subject, version=version)

    def _check_unreferenced(self, row: StoredVersion) -> None:
        referrers = self._state.referrers(row.subject, row.version)
        if referrers:
            names = ", ".join(f"{r.subject} version {r.version}" for r in referrers)
            raise ErrorCode.REFERENCE_EXISTS.error(
                subject=row.subject, version=row.version, detail=names
            )

    def _subject_settings_tombstones(self, subject: Subject) -> list[StoreRecord]:
        records: list[StoreRecord] = []
        if subject in self._state.subject_compatibility:
            records.append(ConfigRecord(subject, None))
        if subject in self._state.subject_modes:
            records.append(ModeRecord(subject, None))
        return records

    async def _write_deletes(self, records: list[StoreRecord], permanent: bool) -> None:
        # A permanent delete lets compaction drop the records that carried the largest
        # ids, so the high-water mark is written first and ids are never issued twice.
        mark = self._state.max_schema_id if permanent else None
        await self._store.write(records, high_water_mark=mark)

    async def set_compatibility(self, subject: Subject | None, level: object) -> str:
        """Set the compatibility level of a subject, or the global one."""
        if not isinstance(level, str) or level.upper() not in COMPATIBILITY_LEVELS:
            raise ErrorCode.INVALID_COMPATIBILITY_LEVEL.error(level=level)
        async with self._lock:
            await self._store.write([ConfigRecord(subject, level.upper())])
        logger.info("Set compatibility subject=%s level=%s", subject or "(global)", level.upper())
        return level.upper()

    async def delete_compatibility(self, subject: Subject | None) -> str:
        """Remove a subject's level, or reset the global one, and return the level removed."""
        async with self._lock:
            previous = self._queries.compatibility_level(subject, default_to_global=False)
            await self._store.write([ConfigRecord(subject, None)])
        logger.info("Deleted compatibility subject=%s level=%s", subject or "(global)", previous)
        return previous

    async def set_mode(self, subject: Subject | None, mode: object, *, force: bool) -> str:
        """Set the mode of a subject or the global one. IMPORT needs no schemas, or `force`."""
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise ErrorCode.INVALID_MODE.error(mode=mode)
        mode = mode.upper()
        async with self._lock:
            if mode == "IMPORT" and not force and self._has_schemas(subject):
                raise ErrorCode.OPERATION_NOT_PERMITTED.error(
                    detail=f"Cannot set {subject or 'the registry'} to IMPORT mode since it "
                    "holds schemas. Pass force=true to import anyway."
                )
            await self._store.write([ModeRecord(subject, mode)])
        logger.info("Set mode subject=%s mode=%s", subject or "(global)", mode)
        return mode

    async def delete_mode(self, subject: Subject) -> str:
        """Remove a subject's mode and return it."""
        async with self._lock:
            previous = self._queries.mode(subject, default_to_global=False)
            await self._store.write([ModeRecord(subject, None)])
        logger.info("Deleted mode subject=%s mode=%s", subject, previous)
        return previous

    def _has_schemas(self, subject: Subject | None) -> bool:
        if subject is None:
            return bool(self._state.subjects)
        return bool(self._state.subjects.get(subject))


def _deleted_record(row: StoredVersion, permanent: bool) -> SchemaRecord:
    if permanent:
        return SchemaRecord(subject=row.subject, version=row.version)
    return SchemaRecord(
        subject=row.subject,
        version=row.version,
        schema_id=row.schema.schema_id,
        schema_text=row.schema.schema_text,
        schema_type=row.schema.schema_type,
        references=row.schema.references,
        deleted=True,
    )


def _log_delete(row: StoredVersion, permanent: bool) -> None:
    logger.info(
        "Deleted schema version subject=%s version=%s schema_id=%s permanent=%s",
        row.subject,
        row.version,
        row.schema.schema_id,
        permanent,
    )
