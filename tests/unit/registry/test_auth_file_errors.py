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


def test_binary_auth_file_named(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    path.write_bytes(b"\xae\xff\x00binary")

    with pytest.raises(ConfigurationError) as raised:
        load_users(path)

    message = raised.value.message
    assert (
        f"Cannot read the auth file {path}: it is not UTF-8 text (byte 0xae at offset 0)" in message
    )
    assert "--auth-file" in message
