"""Differential test: keybus's matcher against AWS event-ruler on the same patterns and events.

Real: event-ruler (version pinned in tests/differential/event-ruler/pom.xml, fetched from
Maven Central), run in one JVM for all cases. Nothing is faked. Java and Maven must be
installed. Without them the test fails and names the packages to install.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from keybus.routing import PatternError, matches

_HERE = Path(__file__).resolve().parent


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


_ORACLE = _load("keybus_event_ruler_oracle", _HERE / "event_ruler.py")
_GENERATOR = _load("keybus_pattern_generator", _HERE / "pattern_generator.py")
_TABLE = _load("keybus_routing_cases", _HERE.parents[1] / "unit" / "routing" / "routing_cases.py")

GENERATED_PAIRS = 3000
MUTATED_PAIRS = 2000
GENERATOR_SEED = 20261204


@dataclass(frozen=True)
class KnownDifference:
    """A case where keybus and event-ruler disagree on purpose, and why."""

    id: str
    pattern: dict[str, Any]
    event: dict[str, Any]
    keybus: str
    event_ruler: str
    reason: str


KNOWN_DIFFERENCES = [
    KnownDifference(
        "field-repeated-inside-or",
        {"b": ["x"], "$or": [{"b": ["y"]}, {"c": [1]}]},
        {"b": "y"},
        keybus="no-match",
        event_ruler="match",
        reason="Fields of a pattern are combined with AND, so b must be both x and y. "
        "event-ruler 2.1.0 keeps only the later of two conditions on the same field "
        "when one sits inside a $or branch, so its verdict depends on key order.",
    ),
    KnownDifference(
        "dot-inside-event-key",
        {"a.b": [1]},
        {"a.b": 1},
        keybus="no-match",
        event_ruler="match",
        reason="keybus reads a dotted pattern name as a nested path and event keys as "
        "plain names. event-ruler flattens events to dotted names, so it cannot tell "
        "an event key 'a.b' from a nested a -> b. Avro field names cannot contain dots, "
        "so keybus events never have such keys.",
    ),
    KnownDifference(
        "anything-but-wildcard-beside-or-field",
        {"a": [{"anything-but": {"wildcard": "x*"}}], "$or": [1]},
        {"a": "y", "$or": 1},
        keybus="match",
        event_ruler="invalid-pattern",
        reason="event-ruler 2.1.0 reads a pattern with a field named $or through an older "
        "parser that lacks anything-but wildcard and anything-but prefix or suffix "
        "lists, which it accepts everywhere else. keybus accepts them in every pattern.",
    ),
    KnownDifference(
        "empty-list-in-anything-but",
        {"d": ["x", {"anything-but": {"suffix": []}}]},
        {"d": "y"},
        keybus="invalid-pattern",
        event_ruler="no-match",
        reason="An empty exclusion list is a mistake in the rule, so keybus rejects it. "
        "event-ruler 2.1.0 fails with a NullPointerException when it is the only "
        "alternative of the field and accepts it silently after another alternative.",
    ),
]


def _keybus_verdict(pattern: Any, event: Any) -> str:
    try:
        return "match" if matches(pattern, event) else "no-match"
    except PatternError:
        return "invalid-pattern"


@pytest.fixture(scope="module")
def oracle() -> Any:
    try:
        return _ORACLE.RulerOracle.build()
    except _ORACLE.OracleUnavailableError as exc:
        pytest.fail(f"event-ruler oracle unavailable: {exc}")


def _disagreements(pairs: list[tuple[Any, Any]], theirs: list[str]) -> list[str]:
    found = []
    for (pattern, event), verdict in zip(pairs, theirs, strict=True):
        ours = _keybus_verdict(pattern, event)
        if ours != verdict:
            found.append(f"keybus={ours} event-ruler={verdict} pattern={pattern} event={event}")
    return found


def test_table_cases_agree(oracle: Any) -> None:
    pairs = [(case.pattern, case.event) for case in _TABLE.MATCH_CASES]

    disagreements = _disagreements(pairs, oracle.judge(pairs))

    assert disagreements == []


def test_table_invalid_patterns_rejected_by_both(oracle: Any) -> None:
    pairs = [(case.pattern, {"a": 1}) for case in _TABLE.INVALID_CASES]

    verdicts = oracle.judge(pairs)

    accepted = [
        c.id for c, v in zip(_TABLE.INVALID_CASES, verdicts, strict=True) if v != "invalid-pattern"
    ]
    assert accepted == []


def test_generated_pairs_agree(oracle: Any) -> None:
    pairs = _GENERATOR.generate_pairs(GENERATED_PAIRS, seed=GENERATOR_SEED)

    verdicts = oracle.judge(pairs)
    disagreements = _disagreements(pairs, verdicts)

    assert verdicts.count("match") >= GENERATED_PAIRS // 20, "generator too rarely matches"
    assert not disagreements, f"{len(disagreements)} disagreements, first: {disagreements[:5]}"


def _has_known_difference(node: Any) -> bool:
    """Check whether a pattern uses $or as a field name or an empty anything-but list."""
    if isinstance(node, list):
        return any(_has_known_difference(item) for item in node)
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key == "$or" and not (
            isinstance(value, list) and len(value) > 1 and all(isinstance(b, dict) for b in value)
        ):
            return True
        if key in ("prefix", "suffix", "equals-ignore-case", "wildcard") and value == []:
            return True
    return any(_has_known_difference(value) for value in node.values())


def test_mutated_patterns_agree(oracle: Any) -> None:
    rng = random.Random(GENERATOR_SEED)
    valid = _GENERATOR.generate_pairs(MUTATED_PAIRS, seed=GENERATOR_SEED, events_per_pattern=1)
    mutated = [(_GENERATOR.mutate_pattern(pattern, rng), event) for pattern, event in valid]
    pairs = [pair for pair in mutated if not _has_known_difference(pair[0])]

    verdicts = oracle.judge(pairs)
    disagreements = _disagreements(pairs, verdicts)

    assert verdicts.count("invalid-pattern") >= len(pairs) // 2, "mutations too rarely invalid"
    assert not disagreements, f"{len(disagreements)} disagreements, first: {disagreements[:5]}"


@pytest.mark.parametrize("difference", KNOWN_DIFFERENCES, ids=lambda d: d.id)
def test_known_difference_still_holds(oracle: Any, difference: KnownDifference) -> None:
    (theirs,) = oracle.judge([(difference.pattern, difference.event)])

    assert _keybus_verdict(difference.pattern, difference.event) == difference.keybus
    assert theirs == difference.event_ruler
