"""The main job: a local platform, a simulated delivery day, and an account of every event."""

from __future__ import annotations

from keybus.demo.commands import CommandLog, run_deliveries
from keybus.demo.platform import DemoPlatform
from keybus.demo.simulation import SimulationLog, simulate
from keybus.demo.summary import Outcome, collect

__all__ = [
    "CommandLog",
    "DemoPlatform",
    "Outcome",
    "SimulationLog",
    "collect",
    "run_deliveries",
    "simulate",
]
