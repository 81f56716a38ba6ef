"""Rules files: named patterns from a source topic to target topics, validated and compiled."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keybus.routing.errors import PatternError, RulesFileError
from keybus.routing.matcher import CompiledPatterns, compile_pattern
from keybus.routing.pattern import Pattern, parse_pattern
from keybus.routing.transform import InputTransformer, TransformError
from keybus.textfiles import read_problem, yaml_problem
from keybus.types import TopicName

__all__ = ["Rule", "RuleSet", "load_rules", "rules_from_data"]

logger = logging.getLogger(__name__)

_TOPIC = r"^[A-Za-z0-9._-]{1,249}$"
_RULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class _TransformModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_paths: dict[str, str] = Field(default_factory=dict)
    input_template: str | dict[str, Any] | list[Any] | None = None
    fields: dict[str, str] | None = None


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_RULE_NAME)
    description: str = ""
    source: str = Field(pattern=_TOPIC)
    pattern: dict[str, Any]
    targets: list[Annotated[str, Field(pattern=_TOPIC)]] = Field(min_length=1)
    input_transform: _TransformModel | None = None


class _RulesFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    rules: list[_RuleModel]


@dataclass(frozen=True, eq=False)
class Rule:
    """A named pattern: events on `source` that match it go to every topic in `targets`."""

    name: str
    source: TopicName
    targets: tuple[TopicName, ...]
    pattern: Pattern
    transformer: InputTransformer | None = None
    description: str = ""
    _test: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_test", compile_pattern(self.pattern))

    def matches(self, event: dict[str, Any]) -> bool:
        """Check the event document against this rule's pattern alone."""
        result: bool = self._test(event)
        return result

    @property
    def has_transform(self) -> bool:
        """Whether the rule reshapes events; without one, targets get the record unchanged."""
        return self.transformer is not None

    def transform(self, event: Any) -> Any:
        """Return what the targets receive: the transformed event, or `event` itself."""
        return event if self.transformer is None else self.transformer.apply(event)


class RuleSet:
    """Rules compiled for matching: per source topic and over all topics.

    Args:
        rules: The rules, in file order; `match` keeps this order.
        origin: Where the rules came from, for logs and errors.
    """

    def __init__(self, rules: Sequence[Rule], *, origin: str = "<memory>") -> None:
        self.origin = origin
        self.rules = tuple(rules)
        self._all = CompiledPatterns([(rule, rule.pattern) for rule in self.rules])
        by_source: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_source.setdefault(rule.source, []).append(rule)
        self._by_source = {
            topic: CompiledPatterns([(rule, rule.pattern) for rule in topic_rules])
            for topic, topic_rules in by_source.items()
        }

    @classmethod
    def from_file(cls, path: Path | str) -> RuleSet:
        """Load and compile a YAML rules file; see `load_rules`."""
        return load_rules(path)

    @property
    def sources(self) -> frozenset[TopicName]:
        """Topics that at least one rule reads."""
        return frozenset(rule.source for rule in self.rules)

    @property
    def targets(self) -> frozenset[TopicName]:
        """Topics that at least one rule writes."""
        return frozenset(target for rule in self.rules for target in rule.targets)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, name: str) -> Rule | None:
        """Return the rule called `name`, or None."""
        return next((rule for rule in self.rules if rule.name == name), None)

    def match(self, event: dict[str, Any], *, topic: str | None = None) -> list[Rule]:
        """Return the rules whose pattern matches the event document, in file order.

        Args:
            event: The document to match, usually built by `routing_document`.
            topic: When given, only rules whose `source` is this topic are considered.
        """
        if topic is None:
            return self._all.match(event)
        compiled = self._by_source.get(topic)
        return [] if compiled is None else compiled.match(event)


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text


def _rule_name(data: Any, loc: Sequence[int | str]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, Mapping) else None
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], Mapping):
            name = rules[loc[1]].get("name")
            return name if isinstance(name, str) else None
    return None


def _schema_error(exc: ValidationError, data: Any, origin: str) -> RulesFileError:
    first = exc.errors()[0]
    loc = first["loc"]
    more = f" ({exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return RulesFileError(
        f"{first['msg']}{more}", file=origin, rule=_rule_name(data, loc), path=_location(loc)
    )


def _build_rule(model: _RuleModel, index: int, origin: str) -> Rule:
    where = f"rules[{index}]"
    try:
        pattern = parse_pattern(model.pattern, rule=model.name)
    except PatternError as exc:
        path = f"{where}.pattern{exc.path[1:]}"
        raise RulesFileError(exc.reason, file=origin, rule=model.name, path=path) from exc
    transformer = None
    if model.input_transform is not None:
        spec = model.input_transform
        try:
            transformer = InputTransformer(
                rule=model.name,
                input_paths=spec.input_paths,
                input_template=spec.input_template,
                fields=spec.fields,
            )
        except TransformError as exc:
            path = f"{where}.input_transform"
            raise RulesFileError(str(exc), file=origin, rule=model.name, path=path) from exc
    targets = tuple(TopicName(t) for t in model.targets)
    return Rule(
        model.name, TopicName(model.source), targets, pattern, transformer, model.description
    )


def rules_from_data(data: Any, *, origin: str = "<memory>") -> RuleSet:
    """Validate already-parsed YAML or JSON data and compile it into a RuleSet.

    Raises:
        RulesFileError: Naming the origin, the rule and the path of the first problem.
    """
    if not isinstance(data, Mapping):
        raise RulesFileError(
            f"the top level must be a mapping with a 'rules' list, not {type(data).__name__}",
            file=origin,
        )
    try:
        model = _RulesFileModel.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc, data, origin) from None
    seen: dict[str, int] = {}
    for index, rule in enumerate(model.rules):
        if rule.name in seen:
            raise RulesFileError(
                f"rule name {rule.name!r} is already used by rules[{seen[rule.name]}]; "
                "give every rule a unique name",
                file=origin, rule=rule.name, path=f"rules[{index}].name",
            )  # fmt: skip
        seen[rule.name] = index
    rules = [_build_rule(rule, index, origin) for index, rule in enumerate(model.rules)]
    _reject_cycles(rules, origin)
    return RuleSet(rules, origin=origin)


def _reject_cycles(rules: Sequence[Rule], origin: str) -> None:
    """Reject rules whose targets lead back to their own source.

    The router writes a matching record to every target, and a target that some rule
    reads is routed again. A chain of rules that returns to a topic it started from can
    copy records without end. It is rejected whatever the patterns match, because the
    router drops the `keybus_rule` header of each record it reads, so a routed copy
    looks like an original to the next rule.
    """
    reads: dict[str, list[Rule]] = {}
    for rule in rules:
        reads.setdefault(rule.source, []).append(rule)
    finished: set[str] = set()
    for start in reads:
        chain = _cycle_from(start, reads, finished, [])
        if chain:
            steps = ", ".join(
                f"{rule.name!r} ({rule.source} -> {target})" for rule, target in chain
            )
            raise RulesFileError(
                f"rules form a loop that would copy records without end: {steps}; "
                "send the records to a topic that no rule in the chain reads",
                file=origin, rule=chain[0][0].name,
            )  # fmt: skip


def _cycle_from(
    topic: str,
    reads: dict[str, list[Rule]],
    finished: set[str],
    path: list[tuple[Rule, str]],
) -> list[tuple[Rule, str]]:
    """Return the (rule, target) steps of a loop reachable from `topic`, or an empty list."""
    if topic in finished:
        return []
    on_path = [step[0].source for step in path]
    for rule in reads.get(topic, ()):
        for target in rule.targets:
            step = [*path, (rule, target)]
            if target in on_path or target == rule.source:
                first = on_path.index(target) if target in on_path else len(path)
                return step[first:]
            cycle = _cycle_from(target, reads, finished, step)
            if cycle:
                return cycle
    finished.add(topic)
    return []


def load_rules(path: Path | str) -> RuleSet:
    """Read, validate and compile a YAML rules file.

    Raises:
        RulesFileError: When the file cannot be read, is not YAML, or breaks a rule.
    """
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RulesFileError(
            f"the file does not exist (the working directory is {Path.cwd()}). Give the "
            "file's absolute path or run from the folder it is relative to; the router "
            "reads the path from KEYBUS_RULES_FILE.",
            file=origin,
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesFileError(f"cannot read the file: {read_problem(exc)}", file=origin) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesFileError(f"not valid YAML at {yaml_problem(exc)}", file=origin) from exc
    ruleset = rules_from_data(data, origin=origin)
    logger.info("loaded rules file=%s rules=%d", origin, len(ruleset))
    return ruleset
