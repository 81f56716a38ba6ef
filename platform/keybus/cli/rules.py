"""`keybus rules`: check a rules file and try events against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from keybus.cli.console import console, fail
from keybus.errors import counted
from keybus.routing import RulesFileError, load_rules

__all__ = ["app"]

app = typer.Typer(help="Check routing rules files and see which rules an event matches.")

RulesFile = Annotated[
    Path, typer.Argument(help="YAML rules file, for example deploy/rules.yaml.", dir_okay=False)
]


@app.command("check")
def check(path: RulesFile) -> None:
    """Validate a rules file and list its rules."""
    try:
        ruleset = load_rules(path)
    except RulesFileError as exc:
        fail(exc)
    for rule in ruleset:
        targets = ", ".join(rule.targets)
        console.print(f"{escape(rule.name)}: {escape(rule.source)} -> {escape(targets)}")
    console.print(f"{counted(len(ruleset), 'rule')} valid in {escape(str(path))}")


def _read_event(text: str) -> dict[str, Any]:
    source = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        event = json.loads(source)
    except ValueError as exc:
        fail(f"The event is not valid JSON ({exc}); pass a JSON object or @FILE.")
    if not isinstance(event, dict):
        fail(f"The event must be a JSON object, not {type(event).__name__}.")
    return event


@app.command("match")
def match(
    path: RulesFile,
    event: Annotated[
        str,
        typer.Argument(
            help='Routing document as JSON, e.g. \'{"type": "...", "detail": {...}}\', or @FILE.'
        ),
    ],
    topic: Annotated[
        str | None, typer.Option("--topic", "-t", help="Only rules with this source topic.")
    ] = None,
) -> None:
    """Print the rules an event matches and what each sends to its targets."""
    try:
        ruleset = load_rules(path)
    except RulesFileError as exc:
        fail(exc)
    document = _read_event(event)
    matched = ruleset.match(document, topic=topic)
    for rule in matched:
        output = json.dumps(rule.transform(document), sort_keys=True)
        console.print(f"{escape(rule.name)} -> {escape(', '.join(rule.targets))}: {escape(output)}")
    if not matched:
        console.print("no rule matches")
        raise typer.Exit(1)
