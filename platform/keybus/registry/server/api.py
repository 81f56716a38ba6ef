"""The subject and schema routes of the Confluent REST API v1."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from keybus.registry.server.context import RegistryResponse, path_subject, registry_of, written
from keybus.registry.server.records import AVRO
from keybus.registry.server.requests import parse_schema_id, parse_schema_request, parse_version
from keybus.registry.server.state import StoredSchema, StoredVersion
from keybus.types import SchemaId

__all__ = ["SchemaBody", "router"]


class ReferenceBody(BaseModel):
    """A reference to a version of another subject."""

    name: str
    subject: str
    version: int


class SchemaBody(BaseModel):
    """A schema to register, look up or test."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_text: str = Field(alias="schema")
    schemaType: str | None = None  # noqa: N815 - Confluent's field name
    references: list[ReferenceBody] | None = None
    id: int | None = None
    version: int | None = None


router = APIRouter(default_response_class=RegistryResponse)


def _schema_body(stored: StoredSchema) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if stored.schema_type != AVRO:
        body["schemaType"] = stored.schema_type
    if stored.references:
        body["references"] = [reference.to_json() for reference in stored.references]
    body["schema"] = stored.schema_text
    return body


def _version_body(row: StoredVersion) -> dict[str, Any]:
    head = {"subject": row.subject, "version": row.version, "id": row.schema.schema_id}
    return {**head, **_schema_body(row.schema)}


def _page(items: list[Any], offset: int, limit: int) -> list[Any]:
    start = max(offset, 0)
    return items[start:] if limit < 0 else items[start : start + limit]


@router.get("/")
async def root() -> dict[str, Any]:
    """Return an empty object, as Confluent's registry does."""
    return {}


@router.get("/health")
async def health(request: Request) -> Response:
    """Report whether the instance serves, whether it is the primary, and where that is.

    The status is 503 once the store reader has stopped, because reads would go stale.
    """
    registry = registry_of(request)
    primary = registry.store.primary
    alive = registry.store.reader_alive
    body = {
        "status": "UP" if alive else "DOWN",
        "is_primary": registry.role.is_primary,
        "primary_url": primary.url if primary else None,
    }
    return RegistryResponse(body, status_code=200 if alive else 503)


@router.get("/contexts")
async def contexts() -> list[str]:
    """List the schema contexts, which here is only the default context."""
    return ["."]


@router.get("/schemas/types")
async def schema_types() -> list[str]:
    """List the schema types this registry accepts."""
    return [AVRO]


@router.get("/subjects")
async def list_subjects(
    request: Request,
    *,
    subjectPrefix: str = "",  # noqa: N803
    deleted: bool = False,
    deletedOnly: bool = False,  # noqa: N803
    offset: int = 0,
    limit: int = -1,
) -> list[str]:
    """List subjects, optionally by prefix and with soft-deleted ones."""
    prefix = "" if subjectPrefix == ":*:" else subjectPrefix
    names = registry_of(request).queries.subjects(
        deleted=deleted, prefix=prefix, deleted_only=deletedOnly
    )
    return _page(list(names), offset, limit)


@router.get("/subjects/{subject}/versions")
async def list_versions(
    request: Request, subject: str, deleted: bool = False, offset: int = 0, limit: int = -1
) -> list[int]:
    """List the versions of a subject."""
    rows = registry_of(request).queries.versions(path_subject(subject), deleted=deleted)
    return _page([row.version for row in rows], offset, limit)


@router.get("/subjects/{subject}/versions/{version}")
async def get_version(
    request: Request, subject: str, version: str, deleted: bool = False
) -> dict[str, Any]:
    """Return one version of a subject with its schema."""
    row = registry_of(request).queries.version(
        path_subject(subject), parse_version(version), deleted=deleted
    )
    return _version_body(row)


@router.get("/subjects/{subject}/versions/{version}/schema")
async def get_version_schema(
    request: Request, subject: str, version: str, deleted: bool = False
) -> Any:
    """Return only the schema of one version, as JSON."""
    row = registry_of(request).queries.version(
        path_subject(subject), parse_version(version), deleted=deleted
    )
    return json.loads(row.schema.schema_text)


@router.get("/subjects/{subject}/versions/{version}/referencedby")
async def get_referenced_by(request: Request, subject: str, version: str) -> list[SchemaId]:
    """List the ids of live schemas that reference one version."""
    return registry_of(request).queries.referenced_by(path_subject(subject), parse_version(version))


@router.post("/subjects/{subject}/versions")
async def register(
    request: Request, subject: str, body: SchemaBody, normalize: bool = False
) -> Response:
    """Register a schema under a subject, keeping the id and version of an equal one."""
    registry = registry_of(request)
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    schema_request = parse_schema_request(path_subject(subject), body.model_dump(by_alias=True))
    schema_id = await registry.commands.register(
        path_subject(subject), schema_request, normalize=normalize
    )
    return written(registry, {"id": schema_id})


@router.post("/subjects/{subject}")
async def lookup(
    request: Request,
    subject: str,
    body: SchemaBody,
    *,
    normalize: bool = False,
    deleted: bool = False,
    lookupDeletedSchema: bool = False,  # noqa: N803
) -> dict[str, Any]:
    """Find the version of a subject that contains a schema, soft-deleted ones if `deleted`."""
    schema_request = parse_schema_request(path_subject(subject), body.model_dump(by_alias=True))
    queries = registry_of(request).queries
    include_deleted = deleted or lookupDeletedSchema
    row = queries.lookup(
        path_subject(subject), schema_request, normalize=normalize, deleted=include_deleted
    )
    return _version_body(row)


@router.delete("/subjects/{subject}")
async def delete_subject(request: Request, subject: str, permanent: bool = False) -> Response:
    """Soft delete a subject, or permanently delete one that was soft deleted."""
    registry = registry_of(request)
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    versions = await registry.commands.delete_subject(path_subject(subject), permanent=permanent)
    return written(registry, versions)


@router.delete("/subjects/{subject}/versions/{version}")
async def delete_version(
    request: Request, subject: str, version: str, permanent: bool = False
) -> Response:
    """Soft delete a version, or permanently delete one that was soft deleted."""
    registry = registry_of(request)
    parsed = parse_version(version)
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    deleted = await registry.commands.delete_version(
        path_subject(subject), parsed, permanent=permanent
    )
    return written(registry, deleted)


@router.get("/schemas/ids/{schema_id}")
async def get_schema(
    request: Request,
    schema_id: str,
    subject: str | None = None,
    fetchMaxId: bool = False,  # noqa: N803
) -> dict[str, Any]:
    """Return the schema bound to an id, and with fetchMaxId the largest id issued."""
    queries = registry_of(request).queries
    stored = queries.schema(
        parse_schema_id(schema_id), subject=path_subject(subject) if subject else None
    )
    body = _schema_body(stored)
    if fetchMaxId:
        body["maxId"] = queries.state.max_schema_id
    return body


@router.get("/schemas/ids/{schema_id}/schema")
async def get_raw_schema(request: Request, schema_id: str, subject: str | None = None) -> Any:
    """Return only the schema bound to an id, as JSON."""
    stored = registry_of(request).queries.schema(
        parse_schema_id(schema_id), subject=path_subject(subject) if subject else None
    )
    return json.loads(stored.schema_text)


@router.get("/schemas/ids/{schema_id}/subjects")
async def get_schema_subjects(
    request: Request,
    *,
    schema_id: str,
    subject: str | None = None,
    deleted: bool = False,
    offset: int = 0,
    limit: int = -1,
) -> list[str]:
    """List the subjects that use an id."""
    rows = registry_of(request).queries.uses(
        parse_schema_id(schema_id),
        deleted=deleted,
        subject=path_subject(subject) if subject else None,
    )
    return _page(sorted({row.subject for row in rows}), offset, limit)


@router.get("/schemas/ids/{schema_id}/versions")
async def get_schema_versions(
    request: Request,
    *,
    schema_id: str,
    subject: str | None = None,
    deleted: bool = False,
    offset: int = 0,
    limit: int = -1,
) -> list[dict[str, Any]]:
    """List the subject versions that use an id."""
    rows = registry_of(request).queries.uses(
        parse_schema_id(schema_id),
        deleted=deleted,
        subject=path_subject(subject) if subject else None,
    )
    return _page([{"subject": row.subject, "version": row.version} for row in rows], offset, limit)
