"""One-line reasons why a configuration file cannot be read as text or YAML."""

from __future__ import annotations

import yaml

__all__ = ["read_problem", "yaml_problem"]


def read_problem(exc: OSError | UnicodeDecodeError) -> str:
    """Return why reading a file as UTF-8 text failed, as a clause for a message."""
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    return str(exc.strerror or exc)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Return a YAML parse error on one line: its position and the problem found there."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1} column {mark.column + 1}: {problem}"
