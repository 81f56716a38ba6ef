"""Registry auth files that cannot be read; only the file system is involved."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybus.errors import ConfigurationError
from keybus.registry.server.settings import load_users


def test_missing_auth_file_named(tmp_path: Path) -> None:
    path = tmp_path / "nofile.txt"

    with pytest.raises(ConfigurationError) as raised:
        load_users(path)

    assert f"Cannot read the auth file {path}: No such file or directory" in raised.value.message
    assert "--auth-file" in raised.value.message
