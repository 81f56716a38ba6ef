"""Error classification into retryable, not retryable and stop; pure logic, nothing faked."""

from __future__ import annotations

import json

import pydantic
import pytest

from keybus.errors import ConfigurationError, KeybusError
from keybus.retry import ErrorClassifier, FailureKind, RetryConfigError, StopConsumerError
from keybus.retry.errors import UndecodableRecordError


class _Model(pydantic.BaseModel):
    amount: int


def _validation_error() -> pydantic.ValidationError:
    try:
        _Model.model_validate({"amount": "ten"})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("validation passed")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TimeoutError("slow"), FailureKind.RETRYABLE),
        (ConnectionError("down"), FailureKind.RETRYABLE),
        (KeybusError("registry busy", retryable=True), FailureKind.RETRYABLE),
        (KeybusError("bad schema", retryable=False), FailureKind.NOT_RETRYABLE),
        (UndecodableRecordError("x", topic="t", partition=0, offset=1), FailureKind.NOT_RETRYABLE),
        (_validation_error(), FailureKind.NOT_RETRYABLE),
        (json.JSONDecodeError("bad", "{", 0), FailureKind.NOT_RETRYABLE),
        (StopConsumerError("broken"), FailureKind.STOP),
        (ConfigurationError("no registry url"), FailureKind.STOP),
    ],
)
def test_default_classification(error: BaseException, kind: FailureKind) -> None:
    assert ErrorClassifier().classify(error) is kind


def test_most_specific_listed_type_wins() -> None:
    classifier = ErrorClassifier(not_retryable=[OSError], retryable=[TimeoutError])

    assert classifier.classify(TimeoutError()) is FailureKind.RETRYABLE
    assert classifier.classify(FileNotFoundError()) is FailureKind.NOT_RETRYABLE


def test_from_names_imports_classes() -> None:
    classifier = ErrorClassifier.from_names(
        {"not_retryable": ["ValueError"], "stop": ["keybus.retry.errors.ParkingError"]}
    )

    assert classifier.classify(ValueError()) is FailureKind.NOT_RETRYABLE


def test_from_names_rejects_unknown_class() -> None:
    with pytest.raises(RetryConfigError, match=r"'billing\.errors\.Nope' cannot be imported"):
        ErrorClassifier.from_names({"retryable": ["billing.errors.Nope"]})


def test_from_names_rejects_unknown_kind() -> None:
    with pytest.raises(RetryConfigError, match="'fatal' is unknown"):
        ErrorClassifier.from_names({"fatal": ["ValueError"]})


def test_from_names_rejects_non_exception() -> None:
    with pytest.raises(RetryConfigError, match=r"'json\.dumps' is not an exception class"):
        ErrorClassifier.from_names({"retryable": ["json.dumps"]})
