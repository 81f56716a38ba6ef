"""Input transforms: reshape a matched event before it goes to a target, as EventBridge does."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_PLACEHOLDER",
    "RULE_NAME_PLACEHOLDER",
    "InputTransformer",
    "TransformError",
    "compile_json_path",
]

RULE_NAME_PLACEHOLDER = "keybus.rule-name"
"""Placeholder replaced by the name of the rule that matched."""

EVENT_PLACEHOLDER = "keybus.event.json"
"""Placeholder replaced by the whole event document."""

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_PLACEHOLDER_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_PATH_STEP = re.compile(
    r"\.([^.\[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]"
)
_MISSING: Any = object()

JsonPath = tuple[str | int, ...]


class TransformError(ValueError):
    """An input transform is malformed. The message names the part and the fix."""


def compile_json_path(text: str) -> JsonPath:
    """Parse `$.detail.lock_id`, `$.detail.items[0]` or `$['odd-key']` into steps.

    Raises:
        TransformError: When the text is not a supported path.
    """
    if not text.startswith("$"):
        raise TransformError(f"path {text!r} must start with '$', as in $.detail.lock_id")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        step = _PATH_STEP.match(text, position)
        if step is None:
            raise TransformError(
                f"path {text!r} is not supported at position {position}; use .key, [index] "
                "or ['key'] steps (no wildcards or filters)"
            )
        name, index, single, double = step.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else (single or double or "").replace("\\", ""))
        position = step.end()
    return tuple(steps)


def _extract(document: Any, path: JsonPath) -> Any:
    value = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, Mapping) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def _as_text(value: Any) -> str:
    if value is _MISSING:
        return ""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class _Segment:
    literal: str
    placeholder: str | None = None
    in_string: bool = False


def _split_template(template: str) -> list[_Segment]:
    """Split a template into literals and placeholders, noting which sit inside JSON strings."""
    segments: list[_Segment] = []
    in_string = False
    escaped = False
    start = 0
    position = 0
    while position < len(template):
        char = template[position]
        placeholder = _PLACEHOLDER.match(template, position) if char == "<" else None
        if placeholder is not None:
            segments.append(_Segment(template[start:position]))
            segments.append(_Segment("", placeholder.group(1), in_string))
            position = start = placeholder.end()
            continue
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
        position += 1
    segments.append(_Segment(template[start:]))
    return segments


class InputTransformer:
    """A compiled input transform: `fields` (choose and rename) or paths with a template.

    Args:
        rule: Name of the owning rule, available as the `<keybus.rule-name>` placeholder.
        input_paths: Placeholder name to JSON path in the event document.
        input_template: A string (JSON text or plain text) or a JSON structure with
            `<name>` placeholders.
        fields: Output field name to JSON path; fields the event lacks are left out.

    Raises:
        TransformError: When a path is malformed, a placeholder is undefined, or the
            options are combined in a way that has no meaning.
    """

    def __init__(
        self,
        *,
        rule: str,
        input_paths: Mapping[str, str] | None = None,
        input_template: str | dict[str, Any] | list[Any] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        if fields is not None and (input_paths or input_template is not None):
            raise TransformError("use either 'fields' or 'input_paths' with 'input_template'")
        if fields is None and input_template is None:
            raise TransformError("set 'fields', or 'input_template' (with optional 'input_paths')")
        bad_names = sorted(n for n in input_paths or {} if not _PLACEHOLDER_NAME.fullmatch(n))
        if bad_names:
            raise TransformError(
                f"input_paths names {bad_names} cannot be used as <name> placeholders; "
                "use letters, digits, '_', '-' and '.'"
            )
        self.rule = rule
        self._fields = {name: compile_json_path(path) for name, path in (fields or {}).items()}
        self._paths = {name: compile_json_path(path) for name, path in (input_paths or {}).items()}
        self._template = input_template
        self._segments: list[_Segment] = []
        self._json_text = False
        if isinstance(input_template, str):
            self._segments = _split_template(input_template)
            self._json_text = self._is_json_template()
        self._check_placeholders()

    def _known(self, name: str) -> bool:
        return name in self._paths or name in (RULE_NAME_PLACEHOLDER, EVENT_PLACEHOLDER)

    def _check_placeholders(self) -> None:
        names: list[str] = [s.placeholder for s in self._segments if s.placeholder is not None]
        if self._template is not None and not isinstance(self._template, str):
            names = _PLACEHOLDER.findall(json.dumps(self._template))
        unknown = sorted({name for name in names if not self._known(name)})
        if unknown:
            raise TransformError(
                f"input_template uses undefined placeholders {unknown}; define them under "
                f"input_paths or use <{RULE_NAME_PLACEHOLDER}> or <{EVENT_PLACEHOLDER}>"
            )

    def _is_json_template(self) -> bool:
        parts = []
        for segment in self._segments:
            if segment.placeholder is None:
                parts.append(segment.literal)
            elif not segment.in_string:
                parts.append("null")
        probe = "".join(parts)
        try:
            json.loads(probe)
        except ValueError as exc:
            # Text that opens like a JSON object or array is almost surely meant as JSON,
            # so a syntax error there is reported instead of sending it as plain text.
            if probe.lstrip()[:1] in ("{", "["):
                raise TransformError(
                    f"input_template starts like JSON but is not valid JSON ({exc}); "
                    "fix the JSON, or start the template with text to send plain text"
                ) from exc
            return False
        return True

    def _lookup(self, name: str, event: Any) -> Any:
        if name == RULE_NAME_PLACEHOLDER:
            return self.rule
        if name == EVENT_PLACEHOLDER:
            return event
        return _extract(event, self._paths[name])

    def apply(self, event: Any) -> Any:
        """Return the transformed event: a dict, a JSON value or a string."""
        if self._template is None:
            return self._apply_fields(event)
        if isinstance(self._template, str):
            return self._apply_text(event)
        return self._fill(self._template, event)

    def _apply_fields(self, event: Any) -> dict[str, Any]:
        chosen = {name: _extract(event, path) for name, path in self._fields.items()}
        return {name: value for name, value in chosen.items() if value is not _MISSING}

    def _apply_text(self, event: Any) -> Any:
        parts: list[str] = []
        for segment in self._segments:
            if segment.placeholder is None:
                parts.append(segment.literal)
                continue
            value = self._lookup(segment.placeholder, event)
            if not self._json_text:
                parts.append(_as_text(value))
            elif segment.in_string:
                parts.append(json.dumps(_as_text(value))[1:-1])
            else:
                parts.append("null" if value is _MISSING else json.dumps(value))
        text = "".join(parts)
        return json.loads(text) if self._json_text else text

    def _fill(self, template: Any, event: Any) -> Any:
        if isinstance(template, dict):
            return {key: self._fill(value, event) for key, value in template.items()}
        if isinstance(template, list):
            return [self._fill(item, event) for item in template]
        if not isinstance(template, str):
            return template
        whole = _PLACEHOLDER.fullmatch(template)
        if whole is not None:
            value = self._lookup(whole.group(1), event)
            return None if value is _MISSING else value
        return _PLACEHOLDER.sub(lambda m: _as_text(self._lookup(m.group(1), event)), template)
