"""Choose union branches for plain values by record name and field set, never by first fit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastavro.validation import validate

from keybus.serde.defaults import PRIMITIVE_TYPES
from keybus.serde.errors import AmbiguousUnionError
from keybus.serde.schema import ParsedSchema

__all__ = ["BRANCH_KEY", "rename_branches", "tag_union_branches"]

BRANCH_KEY = "-type"
"""fastavro's key for naming a record branch inside a plain dict."""


def tag_union_branches(datum: Any, schema: ParsedSchema) -> Any:
    """Return `datum` with each plain dict in a multi-record union tagged with its branch.

    A value that already names its branch (a `(name, value)` tuple or a `-type` key)
    keeps it. Otherwise the branch is the record whose field names equal the dict's
    keys. When no record matches exactly, it is the record whose fields cover the keys
    and have defaults for the rest. When several records qualify and their field types
    do not tell them apart, the value is rejected, because picking one would decide
    silently which fields survive.

    Raises:
        AmbiguousUnionError: a dict fits two or more record branches equally well.
    """
    if not schema.has_record_unions and not schema.fastavro_names:
        return datum
    return _Tagger(schema).tag(datum, schema.parsed, "")


class _Tagger:
    def __init__(self, schema: ParsedSchema) -> None:
        self.schema = schema

    def resolve(self, node: Any) -> Any:
        if isinstance(node, str) and node not in PRIMITIVE_TYPES:
            return self.schema.named_types[node]
        return node

    def tag(self, datum: Any, node: Any, path: str) -> Any:
        node = self.resolve(node)
        if isinstance(node, list):
            return self._tag_union(datum, node, path)
        if not isinstance(node, dict):
            return datum
        kind = node.get("type")
        if kind in ("record", "error") and isinstance(datum, Mapping):
            return {key: self._tag_field(value, node, key, path) for key, value in datum.items()}
        if kind == "array" and isinstance(datum, list):
            return [self.tag(item, node["items"], f"{path}[{i}]") for i, item in enumerate(datum)]
        if kind == "map" and isinstance(datum, Mapping):
            return {k: self.tag(v, node["values"], f"{path}[{k!r}]") for k, v in datum.items()}
        return datum

    def _tag_field(self, value: Any, record: Mapping[str, Any], key: str, path: str) -> Any:
        for field_node in record["fields"]:
            if field_node["name"] == key:
                return self.tag(value, field_node["type"], f"{path}.{key}" if path else key)
        return value

    def _tag_union(self, datum: Any, branches: list[Any], path: str) -> Any:
        if isinstance(datum, tuple) and len(datum) == 2:
            name, value = datum
            name = self.schema.fastavro_name(name)
            for branch in branches:
                resolved = self.resolve(branch)
                if isinstance(resolved, dict) and resolved.get("name") == name:
                    return (name, self.tag(value, resolved, path))
            return datum
        records = [self.resolve(b) for b in branches]
        records = [r for r in records if isinstance(r, dict) and r.get("type") == "record"]
        if isinstance(datum, Mapping) and BRANCH_KEY in datum:
            fields = {key: value for key, value in datum.items() if key != BRANCH_KEY}
            return self._tag_union((str(datum[BRANCH_KEY]), fields), branches, path)
        if len(records) < 2 or not isinstance(datum, Mapping):
            return datum
        chosen = self._choose(datum, records, path)
        if chosen is None:
            return datum
        return (chosen["name"], self.tag(datum, chosen, path))

    def _choose(
        self, datum: Mapping[str, Any], records: list[dict[str, Any]], path: str
    ) -> dict[str, Any] | None:
        keys = set(datum)
        exact = [r for r in records if keys == {f["name"] for f in r["fields"]}]
        covering = [r for r in records if _covers(r, keys)]
        for candidates in (exact, covering):
            fitting = [r for r in candidates if self._fits(datum, r)]
            if len(fitting) == 1:
                return fitting[0]
            if len(fitting) > 1:
                names = [self.schema.avro_name(r["name"]) for r in fitting]
                raise AmbiguousUnionError(
                    f"Value at '{path or '<top>'}' with fields {sorted(keys)} fits union "
                    f"branches {names} equally well. Name the branch: pass the generated "
                    f'model, a (name, dict) tuple, or add "{BRANCH_KEY}": <record name>.',
                    schema_name=self.schema.name,
                    field=path or None,
                )
        return None

    def _fits(self, datum: Mapping[str, Any], record: dict[str, Any]) -> bool:
        standalone = dict(record, __fastavro_parsed=True, __named_schemas=self.schema.named_types)
        return bool(validate(dict(datum), standalone, raise_errors=False))


def _covers(record: Mapping[str, Any], keys: set[str]) -> bool:
    names = {f["name"] for f in record["fields"]}
    defaulted = {f["name"] for f in record["fields"] if "default" in f}
    return keys <= names and names - keys <= defaulted


def rename_branches(value: Any) -> Any:
    """Replace fastavro's `.Name` spelling of null-namespace branch names by the Avro name."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return (value[0].lstrip("."), rename_branches(value[1]))
    if isinstance(value, dict):
        return {key: rename_branches(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rename_branches(item) for item in value]
    return value
