"""Helpers that build error messages."""

from __future__ import annotations

from keybus.errors import listed


def test_listed_short_list_joined() -> None:
    assert listed(["a", "b"]) == "a, b"


def test_listed_long_list_counts_rest() -> None:
    assert listed(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"


def test_listed_rest_takes_noun() -> None:
    assert listed(["a", "b", "c", "d"], noun="files") == "a, b, c and 1 more files"
