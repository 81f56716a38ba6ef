"""Schema registry access: the SDK-side client and keybus's own registry service."""

from __future__ import annotations

__all__: list[str] = []
