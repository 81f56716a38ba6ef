"""Generated package for Avro namespaces under com."""

from __future__ import annotations

__all__: list[str] = []
