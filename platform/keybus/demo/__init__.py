"""The main job: a local platform, a simulated delivery day, and an account of every event."""

from __future__ import annotations

from keybus.demo.platform import DemoPlatform
from keybus.demo.simulation import SimulationLog, simulate
from keybus.demo.summary import Outcome, collect

__all__ = ["DemoPlatform", "Outcome", "SimulationLog", "collect", "simulate"]
