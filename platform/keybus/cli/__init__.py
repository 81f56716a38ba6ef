"""The `keybus` command: one Typer sub-application per command group."""

from __future__ import annotations

import logging
import os

import typer

from keybus.cli import demo, deploy, dev, dlq, drill, mirror, registry, rules, run, schemas, topics
from keybus.cli.eventlog import app as eventlog_app
from keybus.cli.importer import import_log
from keybus.cli.replay import replay

__all__ = ["app", "main"]

app = typer.Typer(
    name="keybus",
    help="Run and operate a keybus event platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(dev.app, name="dev")
app.add_typer(drill.app, name="drill")
app.add_typer(mirror.app, name="mirror")
app.add_typer(topics.app, name="topics")
app.add_typer(rules.app, name="rules")
app.add_typer(registry.app, name="registry")
app.add_typer(schemas.app, name="schemas")
app.add_typer(deploy.app, name="deploy")
app.add_typer(dlq.app, name="dlq")
# demo and run take no subcommand. Registered as Typer groups, their usage line would
# show COMMAND [ARGS]...
app.command(name="demo", help=demo.app.info.help)(demo.demo)
app.command(name="run")(run.run)
app.command(name="import")(import_log)
app.add_typer(eventlog_app, name="event-log")
app.command(name="replay")(replay)


def main() -> None:
    """Run the keybus command line."""
    logging.basicConfig(
        level=os.environ.get("KEYBUS_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    app()
