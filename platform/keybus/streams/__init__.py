"""Faust glue for keybus topologies: app factory, settings and the routing core."""

from __future__ import annotations

from keybus.streams.app import make_app
from keybus.streams.registry_decode import RegistryDecoder
from keybus.streams.router import RULE_HEADER, Output, RecordRouter, RoutingOutcome, RoutingStats
from keybus.streams.settings import StreamSettings

__all__ = [
    "RULE_HEADER",
    "Output",
    "RecordRouter",
    "RegistryDecoder",
    "RoutingOutcome",
    "RoutingStats",
    "StreamSettings",
    "make_app",
]
