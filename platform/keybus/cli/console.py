"""Shared Rich consoles and the error exit used by every command group."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from keybus.errors import KeybusError

__all__ = ["console", "error_console", "fail"]

console = Console()
error_console = Console(stderr=True)


def fail(error: KeybusError | str, exit_code: int = 1) -> NoReturn:
    """Print an error to standard error and exit with `exit_code`."""
    message = error.message if isinstance(error, KeybusError) else error
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)
