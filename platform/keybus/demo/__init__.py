"""The main job: a local platform, a simulated delivery day, and an account of every event."""

from __future__ import annotations

from keybus.demo.commands import CommandLog, run_deliveries
from keybus.demo.notifier import NotifierTally, RecipientNotifier
from keybus.demo.platform import DemoPlatform
from keybus.demo.simulation import SimulationLog, plan_locks, simulate
from keybus.demo.summary import Outcome, collect

__all__ = [
    "CommandLog",
    "DemoPlatform",
    "NotifierTally",
    "Outcome",
    "RecipientNotifier",
    "SimulationLog",
    "collect",
    "plan_locks",
    "run_deliveries",
    "simulate",
]
