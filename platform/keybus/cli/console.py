"""Shared Rich consoles and the error exit used by every command group."""

from __future__ import annotations

import os
import sys
from typing import NoReturn, TextIO

import typer
from rich.console import Console
from rich.markup import escape

from keybus.errors import KeybusError

__all__ = ["console", "error_console", "fail"]

PIPED_WIDTH = 1_000
"""Columns of output that goes to a file or pipe, so that tables keep whole values."""


def _width(stream: TextIO) -> int | None:
    # Rich takes 80 columns when the stream is not a terminal and COLUMNS is unset, which
    # cuts table cells such as log paths in `keybus dev status | cat` and in CI logs.
    if stream.isatty() or os.environ.get("COLUMNS"):
        return None
    return PIPED_WIDTH


console = Console(width=_width(sys.stdout))
error_console = Console(stderr=True, width=_width(sys.stderr))


def fail(error: KeybusError | str, exit_code: int = 1) -> NoReturn:
    """Print an error to standard error and exit with `exit_code`."""
    message = error.message if isinstance(error, KeybusError) else error
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)
