"""Generated package for Avro namespaces under com.example."""

from __future__ import annotations

__all__: list[str] = []
