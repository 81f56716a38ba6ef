"""Checks of the files that commands write, run before a command connects to anything."""

from __future__ import annotations

import os
from pathlib import Path

from keybus.errors import ConfigurationError

__all__ = ["check_database_path", "database_error"]


def check_database_path(path: Path, option: str, *, creates_folders: bool = False) -> None:
    """Raise unless a SQLite database can be opened or created at `path`.

    Args:
        option: the option that gave the path, for the error message.
        creates_folders: the command creates missing folders, so only the nearest
            existing folder above `path` must be writable.

    Raises:
        ConfigurationError: `path` is a folder, or its folder is missing or not writable.
    """
    if path.is_dir():
        raise ConfigurationError(
            f"{option} {path} is a folder. Pass the path of a SQLite file, such as "
            f"{path / 'projection.sqlite'}."
        )
    folder = path.parent
    while creates_folders and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigurationError(
            f"Folder {folder} of {option} {path} does not exist. Create it, or pass a path "
            "in an existing folder."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"Folder {folder} of {option} {path} is not writable, and the database and its "
            "journal are written there. Pass a path in a writable folder."
        )


def database_error(path: Path, option: str, exc: Exception) -> ConfigurationError:
    """Return the error to raise when SQLite cannot use the database at `path`."""
    return ConfigurationError(
        f"SQLite database {path} ({option}) cannot be used: {exc}. Pass another {option}, "
        "or move the file away so that the projection is rebuilt from the beginning."
    )
