"""Table-driven tests of the pattern language; pure matching, nothing faked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from keybus.routing import PatternError, matches, parse_pattern
from keybus.routing.operators import OPERATORS


def _load_table() -> ModuleType:
    # Tests run with --import-mode=importlib, so a sibling module is loaded by its path.
    name = "keybus_routing_cases"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).with_name("routing_cases.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_TABLE = _load_table()
MATCH_CASES = _TABLE.MATCH_CASES
INVALID_CASES = _TABLE.INVALID_CASES
MatchCase = _TABLE.MatchCase
InvalidCase = _TABLE.InvalidCase


@pytest.mark.parametrize("case", MATCH_CASES, ids=lambda case: case.id)
def test_pattern_verdict(case: MatchCase) -> None:
    verdict = matches(case.pattern, case.event)

    assert verdict is case.matches, f"pattern {case.pattern} on event {case.event}"


@pytest.mark.parametrize("case", INVALID_CASES, ids=lambda case: case.id)
def test_invalid_pattern_rejected(case: InvalidCase) -> None:
    with pytest.raises(PatternError) as caught:
        parse_pattern(case.pattern, rule="door-alerts")

    assert caught.value.path == case.path
    assert case.reason in caught.value.reason
    assert "rule 'door-alerts'" in str(caught.value)
    assert case.path in str(caught.value)


def test_table_covers_every_operator() -> None:
    used = {key for case in MATCH_CASES for key in _operator_keys(case.pattern)}

    assert set(OPERATORS) <= used


def test_table_has_match_and_no_match_per_pattern() -> None:
    verdicts: dict[str, set[bool]] = {}
    for case in MATCH_CASES:
        verdicts.setdefault(case.id.rsplit("-", 1)[0], set()).add(case.matches)

    one_sided = sorted(name for name, seen in verdicts.items() if seen != {True, False})

    assert one_sided == []
    assert len(MATCH_CASES) >= 80


def _operator_keys(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {key for value in node.values() for key in _operator_keys(value)}
    if isinstance(node, list):
        return {key for item in node for key in _operator_keys(item)}
    return set()
