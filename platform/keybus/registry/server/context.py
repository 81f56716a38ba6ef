"""What request handlers share: the registry's parts and the response type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from keybus.registry.server.commands import RegistryCommands
from keybus.registry.server.election import PrimaryRole
from keybus.registry.server.forwarding import OFFSET_HEADER, WriteForwarder
from keybus.registry.server.queries import RegistryQueries
from keybus.registry.server.store import KafkaStore
from keybus.types import Subject

__all__ = [
    "ENCODED_SLASH",
    "Registry",
    "RegistryResponse",
    "path_subject",
    "registry_of",
    "written",
]


ENCODED_SLASH = "\x00"
"""What the gateway puts in the routed path for a `%2F` inside a path segment.

Confluent clients percent-encode a `/` in a subject name, but routing works on the
decoded path, where that slash would split the segment. NUL cannot appear in a URL path
otherwise, so it stands in for the slash until `path_subject` restores it.
"""


def path_subject(segment: str) -> Subject:
    """Return the subject named by a path segment, with encoded slashes restored."""
    return Subject(segment.replace(ENCODED_SLASH, "/"))


class RegistryResponse(JSONResponse):
    """A JSON response with the registry's own media type."""

    media_type = "application/vnd.schemaregistry.v1+json"


@dataclass(slots=True)
class Registry:
    """The parts one request handler may need."""

    queries: RegistryQueries
    commands: RegistryCommands
    store: KafkaStore
    role: PrimaryRole
    forwarder: WriteForwarder


def registry_of(request: Request) -> Registry:
    """Return the registry that serves this request."""
    registry: Registry = request.app.state.registry
    return registry


def written(registry: Registry, content: Any) -> Response:
    """Build the response to a write, with the offset replicas wait for."""
    response = RegistryResponse(content)
    offset = registry.store.applied_offset(registry.store.topics.schemas)
    response.headers[OFFSET_HEADER] = str(offset)
    return response
