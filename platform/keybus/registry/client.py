"""A cached client for any Confluent-compatible schema registry (REST API v1)."""

from __future__ import annotations

import json as jsonlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self
from urllib.parse import quote

import httpx

from keybus.errors import KeybusError
from keybus.types import SchemaId, Subject, Version

__all__ = [
    "CompatibilityResult",
    "RegisteredSchema",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailableError",
    "SchemaNotRegisteredError",
    "normalized_json",
]

logger = logging.getLogger(__name__)

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_SUBJECT_NOT_FOUND = 40401
_VERSION_NOT_FOUND = 40402
_SCHEMA_NOT_FOUND = 40403


class RegistryError(KeybusError):
    """The registry answered a request with an error.

    Attributes:
        url: the request URL.
        http_status: the HTTP status code.
        error_code: Confluent's error code from the body, for example 40401 or 42201.
    """

    def __init__(self, message: str, *, url: str, http_status: int, error_code: int) -> None:
        super().__init__(message, retryable=http_status >= 500)
        self.url = url
        self.http_status = http_status
        self.error_code = error_code


class SchemaNotRegisteredError(RegistryError):
    """A subject, version or schema that a request names does not exist in the registry."""


class RegistryUnavailableError(KeybusError):
    """The registry did not answer, and no cached copy of what was requested exists."""

    retryable = True

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message, retryable=True)
        self.url = url


@dataclass(frozen=True)
class RegisteredSchema:
    """One version of a subject as the registry stores it."""

    subject: Subject
    version: Version
    schema_id: SchemaId
    schema: str
    schema_type: str = "AVRO"


@dataclass(frozen=True)
class CompatibilityResult:
    """The registry's verdict on a candidate schema, with its reasons when incompatible."""

    is_compatible: bool
    messages: tuple[str, ...] = ()


class RegistryClient:
    """Talk to a Confluent-compatible registry and cache what never changes.

    Schemas by id and ids by (subject, schema) never change once registered, so both
    are cached without expiry: a running producer or consumer keeps working through a
    registry outage for every schema it has already used.

    Args:
        url: base URL, for example `http://127.0.0.1:8081`.
        timeout_s: per-request timeout in seconds.
        auth: optional basic-auth user and password.
        transport: an httpx transport, for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        auth: tuple[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout_s,
            auth=auth,
            transport=transport,
            headers={"Accept": _CONTENT_TYPE, "Content-Type": _CONTENT_TYPE},
        )
        self._lock = threading.Lock()
        self._schemas_by_id: dict[SchemaId, str] = {}
        self._ids_by_subject: dict[tuple[Subject, str], SchemaId] = {}
        self._versions_by_subject: dict[tuple[Subject, str], RegisteredSchema] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def get_schema(self, schema_id: SchemaId) -> str:
        """Return the schema text registered under `schema_id` (`GET /schemas/ids/{id}`)."""
        cached = self._schemas_by_id.get(schema_id)
        if cached is not None:
            return cached
        body = self._request(
            "GET", f"/schemas/ids/{int(schema_id)}", purpose=f"fetch schema id {schema_id}"
        )
        schema = str(body["schema"])
        with self._lock:
            self._schemas_by_id[schema_id] = schema
        return schema

    def register(self, subject: Subject, schema: str, *, normalize: bool = False) -> SchemaId:
        """Register `schema` under `subject`, or return its id if already there."""
        key = (subject, normalized_json_text(schema))
        cached = self._ids_by_subject.get(key)
        if cached is not None:
            return cached
        body = self._request(
            "POST",
            f"/subjects/{_quote(subject)}/versions",
            json={"schema": schema},
            params={"normalize": "true"} if normalize else None,
            purpose=f"register a schema under subject {subject}",
        )
        schema_id = SchemaId(int(body["id"]))
        logger.info("registered schema subject=%s schema_id=%s", subject, schema_id)
        self._remember(key, schema_id, schema)
        return schema_id

    def lookup(self, subject: Subject, schema: str, *, normalize: bool = False) -> RegisteredSchema:
        """Find the version of `subject` that holds `schema` (`POST /subjects/{subject}`).

        Raises:
            SchemaNotRegisteredError: the subject does not exist or holds no such schema.
        """
        key = (subject, normalized_json_text(schema))
        cached = self._versions_by_subject.get(key)
        if cached is not None:
            return cached
        body = self._request(
            "POST",
            f"/subjects/{_quote(subject)}",
            json={"schema": schema},
            params={"normalize": "true"} if normalize else None,
            purpose=f"look up a schema in subject {subject}",
        )
        registered = _registered(body)
        with self._lock:
            self._versions_by_subject[key] = registered
        self._remember(key, registered.schema_id, registered.schema)
        return registered

    def get_subjects(self) -> list[Subject]:
        """List the live subjects (`GET /subjects`)."""
        return [Subject(s) for s in self._request("GET", "/subjects", purpose="list subjects")]

    def get_versions(self, subject: Subject) -> list[Version]:
        """List the live versions of `subject`, oldest first; empty when it does not exist."""
        try:
            body = self._request(
                "GET", f"/subjects/{_quote(subject)}/versions", purpose="list versions"
            )
        except SchemaNotRegisteredError as exc:
            if exc.error_code == _SUBJECT_NOT_FOUND:
                return []
            raise
        return [Version(int(v)) for v in body]

    def get_version(
        self, subject: Subject, version: Version | Literal["latest"]
    ) -> RegisteredSchema:
        """Fetch one version of `subject` (`GET /subjects/{subject}/versions/{version}`)."""
        body = self._request(
            "GET",
            f"/subjects/{_quote(subject)}/versions/{version}",
            purpose=f"fetch version {version} of subject {subject}",
        )
        return _registered(body)

    def get_compatibility(self, subject: Subject | None = None) -> str:
        """Return the compatibility level of `subject`, falling back to the global level."""
        if subject is not None:
            try:
                body = self._request(
                    "GET",
                    f"/config/{_quote(subject)}",
                    params={"defaultToGlobal": "true"},
                    purpose=f"read the compatibility level of subject {subject}",
                )
                return str(body.get("compatibilityLevel") or body["compatibility"])
            except SchemaNotRegisteredError:
                logger.debug("no subject-level compatibility subject=%s", subject)
        body = self._request("GET", "/config", purpose="read the global compatibility level")
        return str(body.get("compatibilityLevel") or body["compatibility"])

    def set_compatibility(self, level: str, subject: Subject | None = None) -> None:
        """Set the compatibility level of `subject`, or the global level when it is None."""
        path = "/config" if subject is None else f"/config/{_quote(subject)}"
        self._request("PUT", path, json={"compatibility": level}, purpose="set compatibility")
        logger.info("set compatibility subject=%s level=%s", subject or "<global>", level)

    def test_compatibility(
        self, subject: Subject, schema: str, version: Version | Literal["latest"] = "latest"
    ) -> CompatibilityResult:
        """Ask whether `schema` may follow `version` of `subject`, with reasons (verbose)."""
        body = self._request(
            "POST",
            f"/compatibility/subjects/{_quote(subject)}/versions/{version}",
            json={"schema": schema},
            params={"verbose": "true"},
            purpose=f"test compatibility against subject {subject}",
        )
        messages = tuple(str(m) for m in body.get("messages", []) or [])
        return CompatibilityResult(bool(body["is_compatible"]), messages)

    def delete_subject(self, subject: Subject, *, permanent: bool = False) -> list[Version]:
        """Delete `subject` (soft unless `permanent`), returning the deleted versions."""
        body = self._request(
            "DELETE",
            f"/subjects/{_quote(subject)}",
            params={"permanent": "true"} if permanent else None,
            purpose=f"delete subject {subject}",
        )
        logger.info("deleted subject subject=%s permanent=%s", subject, permanent)
        return [Version(int(v)) for v in body]

    def _remember(self, key: tuple[Subject, str], schema_id: SchemaId, schema: str) -> None:
        with self._lock:
            self._ids_by_subject[key] = schema_id
            self._schemas_by_id.setdefault(schema_id, schema)

    def _request(
        self,
        method: str,
        path: str,
        *,
        purpose: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        url = f"{self.url}{path}"
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.TransportError as exc:
            logger.debug("registry unavailable url=%s error=%s", url, exc)
            raise RegistryUnavailableError(
                f"Schema registry at {self.url} did not answer ({type(exc).__name__}: {exc}) "
                f"when trying to {purpose}, and no cached copy exists. Check that the "
                "registry is running and the URL is right; schemas used before the outage "
                "keep working from the cache.",
                url=url,
            ) from exc
        if response.is_success:
            return response.json()
        raise _error_from(response, url, purpose)


def _error_from(response: httpx.Response, url: str, purpose: str) -> RegistryError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error_code = int(body.get("error_code", response.status_code)) if isinstance(body, dict) else 0
    detail = body.get("message", response.text[:200]) if isinstance(body, dict) else response.text
    message = (
        f"Schema registry at {url} rejected the request to {purpose}: HTTP "
        f"{response.status_code}, error code {error_code}: {detail}"
    )
    not_found = (_SUBJECT_NOT_FOUND, _VERSION_NOT_FOUND, _SCHEMA_NOT_FOUND)
    if response.status_code == 404 and error_code in not_found:
        return SchemaNotRegisteredError(
            message, url=url, http_status=response.status_code, error_code=error_code
        )
    return RegistryError(message, url=url, http_status=response.status_code, error_code=error_code)


def _registered(body: Mapping[str, Any]) -> RegisteredSchema:
    return RegisteredSchema(
        subject=Subject(str(body["subject"])),
        version=Version(int(body["version"])),
        schema_id=SchemaId(int(body["id"])),
        schema=str(body["schema"]),
        schema_type=str(body.get("schemaType", "AVRO")),
    )


def normalized_json(schema: Any) -> str:
    """Return JSON text that is equal for equal schemas: sorted keys, bare primitive names."""
    return jsonlib.dumps(_normalize(schema), sort_keys=True, separators=(",", ":"))


def _normalize(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalize(item) for item in node]
    if isinstance(node, dict):
        if set(node) == {"type"} and isinstance(node["type"], str):
            return node["type"]
        return {key: _normalize(value) for key, value in node.items()}
    return node


def normalized_json_text(schema: str) -> str:
    """Return a cache key equal for equal schemas spelled differently."""
    try:
        return normalized_json(jsonlib.loads(schema))
    except ValueError:
        return schema


def _quote(subject: str) -> str:
    return quote(subject, safe="")
