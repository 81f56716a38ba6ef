"""Checks of the files that commands write, run before a command connects to anything."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from keybus.errors import ConfigurationError

__all__ = ["check_output_path", "database_error"]


def check_output_path(
    path: Path, option: str, *, creates_folders: bool = False, inputs: Sequence[Path] = ()
) -> None:
    """Raise unless a command can create or replace the file at `path`.

    The folder must be writable even when the file exists, because files are replaced
    through a temporary file next to them, and SQLite writes its journal there.

    Args:
        option: the option that gave the path, for the error message.
        creates_folders: create the missing folders above `path` now.
        inputs: the files the command reads, which `path` must not replace.

    Raises:
        ConfigurationError: `path` is a folder or one of `inputs`, or its folder is
            missing, cannot be created or is not writable.
    """
    if path.is_dir():
        raise ConfigurationError(f"{option} {path} is a folder. Pass the path of a file.")
    for source in inputs:
        if _same_file(path, source):
            raise ConfigurationError(
                f"{option} {path} names the input file {source}, and writing it would "
                "replace that file. Pass another path."
            )
    folder = path.parent
    if creates_folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot create the folder {folder} of {option} {path}: "
                f"{exc.strerror or exc}. Pass a path in a writable folder."
            ) from exc
    if not folder.is_dir():
        raise ConfigurationError(
            f"Folder {folder} of {option} {path} does not exist. Create it, or pass a path "
            "in an existing folder."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"Folder {folder} of {option} {path} is not writable. Pass a path in a writable folder."
        )


def _same_file(path: Path, other: Path) -> bool:
    if path.exists() and other.exists():
        return path.samefile(other)
    return path.resolve() == other.resolve()


def database_error(path: Path, option: str, exc: Exception) -> ConfigurationError:
    """Return the error to raise when SQLite cannot use the database at `path`."""
    return ConfigurationError(
        f"SQLite database {path} ({option}) cannot be used: {exc}. Pass another {option}, "
        "or move the file away so that the projection is rebuilt from the beginning."
    )
