"""Route events by EventBridge-style patterns: parse, compile and match rules."""

from __future__ import annotations

from keybus.routing.errors import PatternError, RulesFileError
from keybus.routing.matcher import CompiledPatterns, compile_pattern, matches
from keybus.routing.pattern import Pattern, parse_pattern

__all__ = [
    "CompiledPatterns",
    "Pattern",
    "PatternError",
    "RulesFileError",
    "compile_pattern",
    "matches",
    "parse_pattern",
]
