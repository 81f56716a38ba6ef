"""Client failover between mirrored regions: health, region switch, offset translation."""

from __future__ import annotations

from keybus.failover.checkpoints import (
    Checkpoint,
    OffsetSync,
    read_checkpoints,
    read_offset_syncs,
    reverse_translate,
    translate_offsets,
)
from keybus.failover.consumer import FailoverConsumer
from keybus.failover.errors import (
    FailbackError,
    FailoverError,
    NoHealthyRegionError,
    OffsetTranslationError,
)
from keybus.failover.positions import StartPolicy, StartPosition, resolve_start_positions
from keybus.failover.producer import FailoverProducer
from keybus.failover.regions import RegionEndpoint, RegionSelector, metadata_probe

__all__ = [
    "Checkpoint",
    "FailbackError",
    "FailoverConsumer",
    "FailoverError",
    "FailoverProducer",
    "NoHealthyRegionError",
    "OffsetSync",
    "OffsetTranslationError",
    "RegionEndpoint",
    "RegionSelector",
    "StartPolicy",
    "StartPosition",
    "metadata_probe",
    "read_checkpoints",
    "read_offset_syncs",
    "resolve_start_positions",
    "reverse_translate",
    "translate_offsets",
]
