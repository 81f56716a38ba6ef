"""JSON path text for error messages: `$.detail.state[0].anything-but`."""

from __future__ import annotations

import re

__all__ = ["format_path"]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def format_path(segments: tuple[str | int, ...]) -> str:
    """Format object keys and array indexes as a JSON path rooted at `$`."""
    parts = ["$"]
    for segment in segments:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _PLAIN_KEY.match(segment):
            parts.append(f".{segment}")
        else:
            escaped = segment.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)
