"""Input transforms on plain dicts; nothing faked."""

from __future__ import annotations

from typing import Any

import pytest

from keybus.routing import InputTransformer, TransformError
from keybus.routing.transform import compile_json_path

EVENT: dict[str, Any] = {
    "type": "com.example.access.DoorUnlocked",
    "detail": {
        "lock_id": "lock-eu-7",
        "battery_percent": 14,
        "note": 'said "hi"',
        "parcels": [{"parcel_id": "P-1"}, {"parcel_id": "P-2"}],
        "odd-key": True,
    },
}


def _transform(**options: Any) -> InputTransformer:
    return InputTransformer(rule="door-alerts", **options)


def test_json_template_inserts_json_values() -> None:
    transformer = _transform(
        input_paths={"lock": "$.detail.lock_id", "battery": "$.detail.battery_percent"},
        input_template='{"lock": <lock>, "battery": <battery>, "rule": "<keybus.rule-name>"}',
    )

    result = transformer.apply(EVENT)

    assert result == {"lock": "lock-eu-7", "battery": 14, "rule": "door-alerts"}


def test_placeholder_inside_json_string_is_escaped() -> None:
    transformer = _transform(
        input_paths={"note": "$.detail.note", "lock": "$.detail.lock_id"},
        input_template='{"text": "Lock <lock>: <note>"}',
    )

    result = transformer.apply(EVENT)

    assert result == {"text": 'Lock lock-eu-7: said "hi"'}


def test_missing_path_becomes_null_or_empty() -> None:
    transformer = _transform(
        input_paths={"who": "$.detail.courier_id"},
        input_template='{"courier": <who>, "text": "by <who>"}',
    )

    result = transformer.apply(EVENT)

    assert result == {"courier": None, "text": "by "}


def test_plain_text_template() -> None:
    transformer = _transform(
        input_paths={"lock": "$.detail.lock_id", "first": "$.detail.parcels[0].parcel_id"},
        input_template="Lock <lock> opened for parcel <first>",
    )

    result = transformer.apply(EVENT)

    assert result == "Lock lock-eu-7 opened for parcel P-1"


def test_structured_template_keeps_types() -> None:
    transformer = _transform(
        input_paths={"parcels": "$.detail.parcels", "flag": "$.detail['odd-key']"},
        input_template={"items": "<parcels>", "flag": "<flag>", "label": "x-<flag>", "n": 3},
    )

    result = transformer.apply(EVENT)

    assert result == {"items": EVENT["detail"]["parcels"], "flag": True, "label": "x-true", "n": 3}


def test_whole_event_placeholder() -> None:
    transformer = _transform(input_template='{"original": <keybus.event.json>}')

    assert transformer.apply(EVENT) == {"original": EVENT}


def test_fields_choose_and_rename() -> None:
    transformer = _transform(
        fields={"lock": "$.detail.lock_id", "second": "$.detail.parcels[1]", "gone": "$.x"}
    )

    result = transformer.apply(EVENT)

    assert result == {"lock": "lock-eu-7", "second": {"parcel_id": "P-2"}}


def test_undefined_placeholder_rejected() -> None:
    with pytest.raises(TransformError) as caught:
        _transform(input_paths={"lock": "$.detail.lock_id"}, input_template="<lock> <site>")

    assert "undefined placeholders ['site']" in str(caught.value)


def test_fields_and_template_together_rejected() -> None:
    with pytest.raises(TransformError) as caught:
        _transform(fields={"a": "$.a"}, input_template="<keybus.rule-name>")

    assert "either 'fields' or 'input_paths'" in str(caught.value)


def test_empty_transform_rejected() -> None:
    with pytest.raises(TransformError) as caught:
        _transform(input_paths={"a": "$.a"})

    assert "set 'fields', or 'input_template'" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("$", ()),
        ("$.detail.lock_id", ("detail", "lock_id")),
        ("$.detail.parcels[1].parcel_id", ("detail", "parcels", 1, "parcel_id")),
        ("$['odd key'].x", ("odd key", "x")),
        ('$["a.b"]', ("a.b",)),
    ],
)
def test_json_path_steps(text: str, steps: tuple[str | int, ...]) -> None:
    assert compile_json_path(text) == steps


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("detail.lock_id", "must start with '$'"),
        ("$.detail[*]", "not supported at position 8"),
        ("$..lock_id", "not supported at position 1"),
    ],
)
def test_bad_json_path_rejected(text: str, message: str) -> None:
    with pytest.raises(TransformError) as caught:
        compile_json_path(text)

    assert message in str(caught.value)


def test_invalid_json_template_rejected() -> None:
    with pytest.raises(TransformError) as caught:
        _transform(input_paths={"lock": "$.detail.lock_id"}, input_template='{"lock": <lock>,}')

    assert "starts like JSON but is not valid JSON" in str(caught.value)


def test_placeholder_name_with_space_rejected() -> None:
    with pytest.raises(TransformError) as caught:
        _transform(input_paths={"lock id": "$.detail.lock_id"}, input_template="x")

    assert "names ['lock id'] cannot be used" in str(caught.value)
