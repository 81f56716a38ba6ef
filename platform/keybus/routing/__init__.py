"""Route events by EventBridge-style patterns: parse, compile and match rules."""

from __future__ import annotations

from keybus.routing.envelope import json_values, routing_document
from keybus.routing.errors import PatternError, RulesFileError
from keybus.routing.matcher import CompiledPatterns, compile_pattern, matches
from keybus.routing.pattern import Pattern, parse_pattern
from keybus.routing.rules import Rule, RuleSet, load_rules, rules_from_data
from keybus.routing.transform import InputTransformer, TransformError
from keybus.routing.watcher import RuleSetWatcher

__all__ = [
    "CompiledPatterns",
    "InputTransformer",
    "Pattern",
    "PatternError",
    "Rule",
    "RuleSet",
    "RuleSetWatcher",
    "RulesFileError",
    "TransformError",
    "compile_pattern",
    "json_values",
    "load_rules",
    "matches",
    "parse_pattern",
    "routing_document",
    "rules_from_data",
]
