"""Topic specs: the declarative description of topics in deploy/topics.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from keybus.textfiles import read_problem, yaml_problem
from keybus.topics.configs import config_problems
from keybus.topics.errors import TopicSpecError

__all__ = ["TopicSpec", "TopicsFile", "load_topics"]

_TOPIC_NAME_PATTERN = r"^[a-zA-Z0-9._-]{1,249}$"


class TopicSpec(BaseModel):
    """The wanted state of one topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=_TOPIC_NAME_PATTERN)]
    partitions: Annotated[int, Field(ge=1)] = 1
    replication_factor: Annotated[int, Field(ge=1)] = 1
    config: dict[str, str] = Field(default_factory=dict)

    @field_validator("config", mode="before")
    @classmethod
    def _config_values_as_strings(cls, value: Any) -> Any:
        """Accept YAML numbers and booleans as config values; Kafka configs are strings."""
        if not isinstance(value, dict):
            return value
        return {str(key): _config_string(item) for key, item in value.items()}

    @field_validator("name")
    @classmethod
    def _not_dot_names(cls, value: str) -> str:
        if value in {".", ".."}:
            raise ValueError("a topic name cannot be '.' or '..'")
        return value


class TopicsFile(BaseModel):
    """The whole deploy/topics.yaml document."""

    model_config = ConfigDict(extra="forbid")

    topics: list[TopicSpec] = Field(default_factory=list)

    @field_validator("topics")
    @classmethod
    def _unique_names(cls, specs: list[TopicSpec]) -> list[TopicSpec]:
        seen: set[str] = set()
        for spec in specs:
            if spec.name in seen:
                raise ValueError(f"topic '{spec.name}' is declared twice")
            seen.add(spec.name)
        return specs


def _config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_topics(path: Path) -> list[TopicSpec]:
    """Load and validate a topics file.

    Raises:
        TopicSpecError: the file is missing, is not YAML, declares no topics, breaks
            the spec, or sets an unknown topic config or an invalid value of an
            enum-like one. The message names the file, the place in it and the rule.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TopicSpecError(
            f"Topics file {path} does not exist. Create it or pass --file."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TopicSpecError(f"Cannot read the topics file {path}: {read_problem(exc)}.") from exc
    except yaml.YAMLError as exc:
        raise TopicSpecError(
            f"Topics file {path} is not valid YAML at {yaml_problem(exc)}. Fix the file."
        ) from exc
    try:
        specs = TopicsFile.model_validate(document if document is not None else {}).topics
    except ValidationError as exc:
        raise TopicSpecError(_describe(path, document, exc)) from exc
    if not specs:
        raise TopicSpecError(
            f"Topics file {path} declares no topics. Add at least one entry under `topics:` "
            "or pass the intended file with --file."
        )
    problems = [problem for spec in specs for problem in config_problems(spec.name, spec.config)]
    if problems:
        raise TopicSpecError(
            f"Topics file {path} has invalid topic configs:\n"
            + "\n".join(f"  {problem}" for problem in problems)
            + "\nFix the names and values; Kafka would reject them at apply."
        )
    return specs


def _describe(path: Path, document: Any, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = _location(document, error["loc"])
        problems.append(f"  {location}: {error['msg']} (got {error.get('input')!r})")
    return f"Topics file {path} is invalid:\n" + "\n".join(problems)


def _location(document: Any, loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location, naming topics by name instead of list index."""
    parts: list[str] = []
    node = document
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{name}]" if name else f"[{step}]")
            continue
        parts.append(f".{step}" if parts else str(step))
        node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)
