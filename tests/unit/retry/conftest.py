"""Registers fakes.py as the module `retry_fakes` (tests run with --import-mode=importlib)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("retry_fakes", Path(__file__).with_name("fakes.py"))
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules["retry_fakes"] = _module
_spec.loader.exec_module(_module)
