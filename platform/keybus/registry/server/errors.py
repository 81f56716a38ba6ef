"""Confluent registry error codes and message templates, and the error the service raises."""

from __future__ import annotations

from enum import Enum
from typing import Any

from keybus.errors import KeybusError
from keybus.types import SchemaId, Subject, Version

__all__ = ["ErrorCode", "RegistryServiceError"]


class ErrorCode(Enum):
    """A Confluent error code with its HTTP status and message template.

    The numbers follow the constants of `rest/exceptions/Errors.java` in Confluent's
    schema-registry repository, so that any Confluent client reacts to them as it would
    to Confluent's own registry.
    """

    SUBJECT_NOT_FOUND = (
        40401,
        404,
        "Subject '{subject}' not found. Register a schema under it first, or pass "
        "deleted=true to include soft-deleted subjects.",
    )
    VERSION_NOT_FOUND = (
        40402,
        404,
        "Version {version} not found in subject '{subject}'. List the versions with "
        "GET /subjects/{subject}/versions.",
    )
    SCHEMA_NOT_FOUND = (40403, 404, "Schema {what} not found. {detail}")
    SUBJECT_SOFT_DELETED = (
        40404,
        404,
        "Subject '{subject}' was soft deleted. Set permanent=true to delete it permanently.",
    )
    SUBJECT_NOT_SOFT_DELETED = (
        40405,
        404,
        "Subject '{subject}' was not deleted first before being permanently deleted. "
        "Soft delete it first, without permanent=true.",
    )
    VERSION_SOFT_DELETED = (
        40406,
        404,
        "Subject '{subject}' version {version} was soft deleted. "
        "Set permanent=true to delete it permanently.",
    )
    VERSION_NOT_SOFT_DELETED = (
        40407,
        404,
        "Subject '{subject}' version {version} was not deleted first before being "
        "permanently deleted. Soft delete it first, without permanent=true.",
    )
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = (
        40408,
        404,
        "Subject '{subject}' does not have subject-level compatibility configured. "
        "Pass defaultToGlobal=true to read the global level.",
    )
    SUBJECT_MODE_NOT_CONFIGURED = (
        40409,
        404,
        "Subject '{subject}' does not have subject-level mode configured. "
        "Pass defaultToGlobal=true to read the global mode.",
    )
    # Recent versions of Confluent's registry send 40901, and earlier ones sent 409.
    # confluent-kafka's Python client (2.16) reads only the HTTP status, so either works.
    INCOMPATIBLE_SCHEMA = (
        40901,
        409,
        "Schema being registered is incompatible with an earlier schema for subject "
        "'{subject}' at compatibility level {level}: {detail}",
    )
    INVALID_SCHEMA = (42201, 422, "Invalid schema for subject '{subject}': {detail}")
    STORED_SCHEMA_UNREADABLE = (
        42201,
        422,
        "Stored schema {schema_id} of type {schema_type} cannot be parsed as Avro ({detail}), "
        "so nothing can be compared with it. Use a subject that holds only Avro schemas.",
    )
    INVALID_VERSION = (
        42202,
        422,
        "The specified version '{version}' is not a valid version id. Allowed values are "
        'between [1, 2^31-1] and the string "latest".',
    )
    INVALID_COMPATIBILITY_LEVEL = (
        42203,
        422,
        "Invalid compatibility level '{level}'. Valid values are NONE, BACKWARD, "
        "BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL and FULL_TRANSITIVE.",
    )
    INVALID_MODE = (
        42204,
        422,
        "Invalid mode '{mode}'. Valid values are READWRITE, READONLY and IMPORT.",
    )
    OPERATION_NOT_PERMITTED = (42205, 422, "{detail}")
    REFERENCE_EXISTS = (
        42206,
        422,
        "One or more live schemas reference subject '{subject}' version {version}: "
        "{detail}. Delete the referencing versions first.",
    )
    INVALID_REQUEST = (422, 422, "Invalid request: {detail}")
    MALFORMED_REQUEST = (400, 400, "Malformed request: {detail}")
    UNAUTHORIZED = (401, 401, "Authentication required: send HTTP basic credentials.")
    FORBIDDEN = (
        403,
        403,
        "User '{user}' has the read-only role and cannot {method} {path}. "
        "Use a user with the read-write role.",
    )
    NOT_FOUND = (404, 404, "Path {path} not found. See GET /openapi.json for the API.")
    METHOD_NOT_ALLOWED = (405, 405, "Method {method} is not allowed on {path}.")
    REQUEST_TOO_LARGE = (
        413,
        413,
        "Request body of {size_bytes} bytes exceeds the maximum of {max_bytes} bytes. "
        "Send a smaller schema or raise --max-request-bytes.",
    )
    STORE_ERROR = (50001, 500, "Store error: {detail}")
    OPERATION_TIMEOUT = (50002, 500, "Operation timed out: {detail}")
    FORWARDING_FAILED = (50003, 500, "Forwarding the request to the primary failed: {detail}")
    PRIMARY_FENCED = (
        50003,
        500,
        "This instance lost the primary role and wrote nothing: {detail}. Retry, and the "
        "write goes to the new primary.",
    )
    UNKNOWN_PRIMARY = (
        50004,
        500,
        "No primary registry instance is known yet: {detail}. Retry in a few seconds.",
    )

    def __init__(self, error_code: int, http_status: int, template: str) -> None:
        self.error_code = error_code
        self.http_status = http_status
        self.template = template

    def error(
        self,
        *,
        subject: str | None = None,
        version: int | str | None = None,
        schema_id: int | None = None,
        **fields: Any,
    ) -> RegistryServiceError:
        """Build the error of this code with its message filled in from the fields."""
        message = self.template.format(
            subject=subject, version=version, schema_id=schema_id, **fields
        )
        return RegistryServiceError(
            message,
            code=self,
            subject=Subject(subject) if subject is not None else None,
            version=Version(version) if isinstance(version, int) else None,
            schema_id=SchemaId(schema_id) if schema_id is not None else None,
        )


class RegistryServiceError(KeybusError):
    """A request the registry service rejects, with its Confluent error code.

    Attributes:
        code: the Confluent error code, with its HTTP status.
        subject, version, schema_id: the registry objects involved, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode,
        subject: Subject | None = None,
        version: Version | None = None,
        schema_id: SchemaId | None = None,
    ) -> None:
        super().__init__(message, retryable=code.http_status >= 500)
        self.code = code
        self.subject = subject
        self.version = version
        self.schema_id = schema_id

    @property
    def error_code(self) -> int:
        """The Confluent error code sent in the response body."""
        return self.code.error_code

    @property
    def http_status(self) -> int:
        """The HTTP status of the response."""
        return self.code.http_status

    def body(self) -> dict[str, object]:
        """Return the JSON body Confluent's registry sends for an error."""
        return {"error_code": self.error_code, "message": self.message}
