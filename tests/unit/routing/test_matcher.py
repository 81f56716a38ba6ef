"""Compiled rule sets: the index must never change a verdict; pure matching, nothing faked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from keybus.routing import CompiledPatterns, PatternError, compile_pattern, parse_pattern


def _load(name: str, path: Path) -> ModuleType:
    # Tests run with --import-mode=importlib, so helper modules are loaded by their path.
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_TESTS = Path(__file__).resolve().parents[2]
_TABLE = _load("keybus_routing_cases", _TESTS / "unit" / "routing" / "routing_cases.py")
_GENERATOR = _load(
    "keybus_pattern_generator", _TESTS / "integration" / "routing" / "pattern_generator.py"
)


def _compiled(patterns: list[dict[str, Any]]) -> CompiledPatterns[int]:
    return CompiledPatterns([(index, parse_pattern(p)) for index, p in enumerate(patterns)])


def test_index_keeps_table_verdicts() -> None:
    patterns = [case.pattern for case in _TABLE.MATCH_CASES]
    singles = [compile_pattern(parse_pattern(pattern)) for pattern in patterns]
    compiled = _compiled(patterns)

    for case in _TABLE.MATCH_CASES:
        expected = [i for i, single in enumerate(singles) if single(case.event)]

        assert compiled.match(case.event) == expected, case.id


def test_index_keeps_generated_verdicts() -> None:
    pairs = _GENERATOR.generate_pairs(200, seed=5, events_per_pattern=1)
    singles = [compile_pattern(parse_pattern(pattern)) for pattern, _event in pairs]
    compiled = _compiled([pattern for pattern, _event in pairs])

    for _pattern, event in pairs:
        expected = [i for i, single in enumerate(singles) if single(event)]

        assert compiled.match(event) == expected


def test_index_field_is_most_common_exact_field() -> None:
    compiled = _compiled(
        [
            {"type": ["A"], "detail": {"n": [1]}},
            {"type": ["B", "C"]},
            {"type": [{"prefix": "A"}]},
            {"detail": {"n": [2]}},
        ]
    )

    assert compiled.index_field == ("type",)


def test_event_with_several_index_values() -> None:
    compiled = _compiled([{"type": ["A"]}, {"type": ["B"]}, {"detail": {"n": [1]}}])

    assert compiled.match({"type": ["B", "A"], "detail": {"n": 1}}) == [0, 1, 2]
    assert compiled.match({"type": "C", "detail": {"n": 1}}) == [2]
    assert compiled.match({"detail": {"n": 2}}) == []


def test_indexed_number_and_boolean_keys_stay_apart() -> None:
    compiled = _compiled([{"v": [1]}, {"v": [True]}, {"v": [None]}, {"v": ["1"]}])

    assert compiled.match({"v": 1.0}) == [0]
    assert compiled.match({"v": True}) == [1]
    assert compiled.match({"v": None}) == [2]
    assert compiled.match({"v": "1"}) == [3]


def test_nested_index_field_keeps_array_consistency() -> None:
    compiled = _compiled(
        [
            {"detail": {"parcels": {"size": ["LARGE"], "fragile": [True]}}},
            {"detail": {"parcels": {"size": ["LARGE"]}}},
        ]
    )
    event = {"detail": {"parcels": [{"size": "LARGE"}, {"size": "SMALL", "fragile": True}]}}

    assert compiled.index_field == ("detail", "parcels", "size")
    assert compiled.match(event) == [1]


def test_or_expansion_limit_rejected() -> None:
    branches = [{"a": [1]}, {"b": [2]}]
    pattern = {f"f{i}": {"$or": branches} for i in range(11)}

    with pytest.raises(PatternError) as caught:
        parse_pattern(pattern, rule="wide")

    assert "more than 1024 combinations" in caught.value.reason
    assert caught.value.path == "$.f10"
    assert caught.value.rule == "wide"
