"""The compatibility level, mode and compatibility test routes of the Confluent REST API v1."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from keybus.registry.server.api import SchemaBody
from keybus.registry.server.context import (
    Registry,
    RegistryResponse,
    path_subject,
    registry_of,
    written,
)
from keybus.registry.server.requests import parse_schema_request, parse_version
from keybus.types import Subject, Version

__all__ = ["router"]

router = APIRouter(default_response_class=RegistryResponse)


class ConfigBody(BaseModel):
    """A compatibility level, under either name Confluent clients send."""

    model_config = ConfigDict(extra="allow")

    compatibility: str | None = None
    compatibilityLevel: str | None = None  # noqa: N815 - Confluent's field name


class ModeBody(BaseModel):
    """A registry mode."""

    mode: str


@router.get("/config")
async def get_global_config(request: Request) -> dict[str, Any]:
    """Return the global compatibility level."""
    level = registry_of(request).queries.compatibility_level(None, default_to_global=True)
    return {"compatibilityLevel": level}


@router.get("/config/{subject}")
async def get_subject_config(
    request: Request,
    subject: str,
    defaultToGlobal: bool = False,  # noqa: N803
) -> dict[str, Any]:
    """Return a subject's compatibility level, or with defaultToGlobal the global one."""
    queries = registry_of(request).queries
    level = queries.compatibility_level(path_subject(subject), default_to_global=defaultToGlobal)
    return {"compatibilityLevel": level}


@router.put("/config")
async def put_global_config(request: Request, body: ConfigBody) -> Response:
    """Set the global compatibility level."""
    return await _put_config(request, None, body)


@router.put("/config/{subject}")
async def put_subject_config(request: Request, subject: str, body: ConfigBody) -> Response:
    """Set a subject's compatibility level."""
    return await _put_config(request, path_subject(subject), body)


async def _put_config(request: Request, subject: Subject | None, body: ConfigBody) -> Response:
    registry = registry_of(request)
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    level = await registry.commands.set_compatibility(
        subject, body.compatibility or body.compatibilityLevel
    )
    return written(registry, {"compatibility": level})


@router.delete("/config")
async def delete_global_config(request: Request) -> Response:
    """Reset the global compatibility level to the default and return the one removed."""
    return await _delete_config(registry_of(request), request, None)


@router.delete("/config/{subject}")
async def delete_subject_config(request: Request, subject: str) -> Response:
    """Remove a subject's compatibility level and return it."""
    return await _delete_config(registry_of(request), request, path_subject(subject))


async def _delete_config(registry: Registry, request: Request, subject: Subject | None) -> Response:
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    previous = await registry.commands.delete_compatibility(subject)
    return written(registry, {"compatibilityLevel": previous})


@router.get("/mode")
async def get_global_mode(request: Request) -> dict[str, Any]:
    """Return the global mode."""
    return {"mode": registry_of(request).queries.mode(None, default_to_global=True)}


@router.get("/mode/{subject}")
async def get_subject_mode(
    request: Request,
    subject: str,
    defaultToGlobal: bool = False,  # noqa: N803
) -> dict[str, Any]:
    """Return a subject's mode, or with defaultToGlobal the global one."""
    queries = registry_of(request).queries
    return {"mode": queries.mode(path_subject(subject), default_to_global=defaultToGlobal)}


@router.put("/mode")
async def put_global_mode(request: Request, body: ModeBody, force: bool = False) -> Response:
    """Set the global mode. IMPORT needs an empty registry unless force=true."""
    return await _put_mode(request, None, body, force)


@router.put("/mode/{subject}")
async def put_subject_mode(
    request: Request, subject: str, body: ModeBody, force: bool = False
) -> Response:
    """Set a subject's mode. IMPORT needs an empty subject unless force=true."""
    return await _put_mode(request, path_subject(subject), body, force)


async def _put_mode(
    request: Request, subject: Subject | None, body: ModeBody, force: bool
) -> Response:
    registry = registry_of(request)
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    mode = await registry.commands.set_mode(subject, body.mode, force=force)
    return written(registry, {"mode": mode})


@router.delete("/mode/{subject}")
async def delete_subject_mode(request: Request, subject: str) -> Response:
    """Remove a subject's mode and return it."""
    registry = registry_of(request)
    forwarded = await registry.forwarder.forward(request)
    if forwarded is not None:
        return forwarded
    previous = await registry.commands.delete_mode(path_subject(subject))
    return written(registry, {"mode": previous})


@router.post("/compatibility/subjects/{subject}/versions/{version}")
async def test_against_version(
    request: Request,
    *,
    subject: str,
    version: str,
    body: SchemaBody,
    normalize: bool = False,
    verbose: bool = False,
) -> dict[str, Any]:
    """Test a schema against one version of a subject."""
    return _test(
        request,
        path_subject(subject),
        version=parse_version(version),
        body=body,
        normalize=normalize,
        verbose=verbose,
    )


@router.post("/compatibility/subjects/{subject}/versions")
async def test_against_subject(
    request: Request, subject: str, body: SchemaBody, normalize: bool = False, verbose: bool = False
) -> dict[str, Any]:
    """Test a schema against the versions the subject's compatibility level names."""
    return _test(
        request,
        path_subject(subject),
        version=None,
        body=body,
        normalize=normalize,
        verbose=verbose,
    )


def _test(
    request: Request,
    subject: Subject,
    *,
    version: Version | None,
    body: SchemaBody,
    normalize: bool,
    verbose: bool,
) -> dict[str, Any]:
    schema_request = parse_schema_request(subject, body.model_dump(by_alias=True))
    queries = registry_of(request).queries
    messages = queries.test_compatibility(subject, version, schema_request, normalize=normalize)
    result: dict[str, Any] = {"is_compatible": not messages}
    if verbose:
        result["messages"] = messages
    return result
