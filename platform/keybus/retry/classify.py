"""Sort handler errors into retryable, not retryable (dead letters) and fatal (stop)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from enum import StrEnum

import pydantic

from keybus.errors import ConfigurationError, KeybusError, clause
from keybus.retry.errors import RetryConfigError, StopConsumerError, UndecodableRecordError

__all__ = ["DEFAULT_DEAD_LETTER", "DEFAULT_STOP", "ErrorClassifier", "FailureKind"]


class FailureKind(StrEnum):
    """What a failure means for the record and the consumer."""

    RETRYABLE = "retryable"
    NOT_RETRYABLE = "not-retryable"
    STOP = "stop"


DEFAULT_DEAD_LETTER: tuple[type[BaseException], ...] = (
    UndecodableRecordError,
    pydantic.ValidationError,
    UnicodeDecodeError,
    json.JSONDecodeError,
)
"""Errors that another attempt cannot fix: undecodable bytes, schema and validation errors."""

DEFAULT_STOP: tuple[type[BaseException], ...] = (
    StopConsumerError,
    ConfigurationError,
    MemoryError,
)
"""Errors that mean the consumer itself is broken, so no record should be parked for them."""


class ErrorClassifier:
    """Decide per exception type whether a failed record is retried, parked or stops the consumer.

    The most specific listed type wins: an error is looked up along its class hierarchy,
    so listing `TimeoutError` as retryable overrides a listed `OSError`. Errors that no
    list names are classified by `KeybusError.retryable` when they are keybus errors
    (False parks them, since keybus raises those for schema and serde faults), and are
    retryable otherwise.
    """

    def __init__(
        self,
        *,
        retryable: Iterable[type[BaseException]] = (),
        not_retryable: Iterable[type[BaseException]] = (),
        stop: Iterable[type[BaseException]] = (),
        include_defaults: bool = True,
    ) -> None:
        self._kinds: dict[type[BaseException], FailureKind] = {}
        if include_defaults:
            self._add(DEFAULT_DEAD_LETTER, FailureKind.NOT_RETRYABLE)
            self._add(DEFAULT_STOP, FailureKind.STOP)
        self._add(retryable, FailureKind.RETRYABLE)
        self._add(not_retryable, FailureKind.NOT_RETRYABLE)
        self._add(stop, FailureKind.STOP)

    @classmethod
    def from_names(cls, names: Mapping[str, Iterable[str]]) -> ErrorClassifier:
        """Build a classifier from dotted class names per kind, as written in YAML."""
        lists: dict[str, list[type[BaseException]]] = {}
        for kind, classes in names.items():
            if kind not in {"retryable", "not_retryable", "stop"}:
                raise RetryConfigError(
                    f"Error classification key {kind!r} is unknown. Use retryable, "
                    "not_retryable or stop."
                )
            lists[kind] = [_import_exception(name) for name in classes]
        return cls(**lists)  # type: ignore[arg-type]

    def _add(self, types: Iterable[type[BaseException]], kind: FailureKind) -> None:
        for error_type in types:
            self._kinds[error_type] = kind

    def classify(self, error: BaseException) -> FailureKind:
        """Return the kind of `error`."""
        for error_type in type(error).__mro__:
            kind = self._kinds.get(error_type)
            if kind is not None:
                return kind
        if isinstance(error, KeybusError) and not error.retryable:
            return FailureKind.NOT_RETRYABLE
        return FailureKind.RETRYABLE


def _import_exception(dotted: str) -> type[BaseException]:
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        module_name = "builtins"
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise RetryConfigError(
            f"Exception class {dotted!r} cannot be imported: {clause(exc)}. Write it as "
            "'package.module.ClassName', or a builtin name such as 'TimeoutError'."
        ) from exc
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise RetryConfigError(
            f"{dotted!r} is not an exception class. List exception classes only."
        )
    return found
