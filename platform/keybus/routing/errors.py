"""Errors of the routing package: invalid patterns, invalid rules files, bad transforms."""

from __future__ import annotations

from pathlib import Path

from keybus.errors import ConfigurationError

__all__ = ["PatternError", "RulesFileError"]


class PatternError(ConfigurationError):
    """An event pattern breaks the EventBridge pattern grammar.

    Attributes:
        rule: Name of the rule that contains the pattern, or None for a bare pattern.
        path: JSON path of the offending part inside the pattern, for example
            `$.detail.count[0].numeric`.
        reason: What is wrong there and how to fix it.
    """

    def __init__(self, reason: str, *, path: str, rule: str | None = None) -> None:
        self.rule = rule
        self.path = path
        self.reason = reason
        owner = f"rule {rule!r}" if rule is not None else "pattern"
        super().__init__(f"Invalid event pattern in {owner} at {path}: {reason}")

    def for_rule(self, rule: str) -> PatternError:
        """Return the same error attributed to `rule`."""
        return PatternError(self.reason, path=self.path, rule=rule)


class RulesFileError(ConfigurationError):
    """A rules file cannot be read, parsed or validated.

    Attributes:
        file: The rules file.
        rule: Name of the offending rule, when the problem sits inside one.
        path: Location inside the file, for example `rules[2].pattern.detail.state[0]`.
        reason: What is wrong and how to fix it.
    """

    def __init__(
        self, reason: str, *, file: Path | str, rule: str | None = None, path: str | None = None
    ) -> None:
        self.file = str(file)
        self.rule = rule
        self.path = path
        self.reason = reason
        where = self.file
        if rule is not None:
            where += f", rule {rule!r}"
        if path is not None:
            where += f", at {path}"
        super().__init__(f"Invalid rules file {where}: {reason}")
