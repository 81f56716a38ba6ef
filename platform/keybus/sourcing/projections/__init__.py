"""Projections: read models in SQLite built from event streams, served over HTTP, replayable."""

from __future__ import annotations

from keybus.sourcing.projections.base import Projection, SourceRecord
from keybus.sourcing.projections.reference import DeliveryStatusProjection, SiteAccessProjection
from keybus.sourcing.projections.registry import (
    ENTRY_POINT_GROUP,
    ProjectionFactory,
    ProjectionRegistry,
    create_projection,
    projection_names,
    projections,
    register_projection,
)
from keybus.sourcing.projections.replay import ReplayPlan, ReplayResult, replay_projection
from keybus.sourcing.projections.runner import BatchApplied, ProjectionRunner
from keybus.sourcing.projections.service import ProjectionService
from keybus.sourcing.projections.store import ProjectionStore, dump_tables

__all__ = [
    "ENTRY_POINT_GROUP",
    "BatchApplied",
    "DeliveryStatusProjection",
    "Projection",
    "ProjectionFactory",
    "ProjectionRegistry",
    "ProjectionRunner",
    "ProjectionService",
    "ProjectionStore",
    "ReplayPlan",
    "ReplayResult",
    "SiteAccessProjection",
    "SourceRecord",
    "create_projection",
    "dump_tables",
    "projection_names",
    "projections",
    "register_projection",
    "replay_projection",
]
