"""Two real local regions with MirrorMaker 2 for the tests of this folder."""

from __future__ import annotations

from keybus.testing.regions import two_regions

__all__ = ["two_regions"]
