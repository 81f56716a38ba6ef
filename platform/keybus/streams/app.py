"""Build Faust apps for keybus topologies with the platform's conventions."""

from __future__ import annotations

import logging
from typing import Any

import faust

from keybus.errors import ConfigurationError
from keybus.streams.monitor import PartitionMonitor
from keybus.streams.settings import StreamSettings
from keybus.streams.transport import Transport

__all__ = ["make_app"]

logger = logging.getLogger(__name__)

FETCH_MAX_RECORDS = 500
"""Records handed to the streams per fetch; Faust's default has no limit.

Faust stops fetching a partition once its stream's buffer (`stream_buffer_maxsize`,
4096 records by default) is 80 % full, but hands on the rest of a fetch. Fetches that
fit into the last 20 % seldom meet a full buffer, where each record costs several
tasks (see `keybus.streams.transport`).
"""


def make_app(name: str, settings: StreamSettings, **overrides: Any) -> faust.App:
    """Return a Faust app named `name` (also its consumer group) on the configured Kafka.

    Topics are created with one replica, matching the local single-broker regions; the
    producer waits for all in-sync replicas, as every keybus producer does.

    Faust's own exactly-once mode is not offered: after a rebalance it can keep a fenced
    producer and commit the offsets of a failed batch. A topology that writes its outputs
    and offsets in its own transactions, as the router does, handles `exactly_once`
    itself and passes the Faust guarantee it runs under in `overrides`.

    Raises:
        ConfigurationError: `exactly_once` was set for a topology that does not handle it.
    """
    if settings.processing_guarantee == "exactly_once" and "processing_guarantee" not in overrides:
        raise ConfigurationError(
            f"Topology {name!r} does not support KEYBUS_PROCESSING_GUARANTEE=exactly_once; "
            "only the router writes its outputs and offsets in its own transactions. "
            "Run it with at_least_once and let its consumers skip repeated events by ce_id."
        )
    datadir = settings.data_dir / name
    datadir.mkdir(parents=True, exist_ok=True)
    servers = ",".join(f"kafka://{server}" for server in settings.bootstrap_servers.split(","))
    options: dict[str, Any] = {
        "broker": servers,
        "store": "memory://",
        "datadir": str(datadir),
        "processing_guarantee": settings.processing_guarantee,
        "topic_replication_factor": 1,
        "producer_acks": -1,
        "web_enabled": settings.web_port is not None,
        "web_port": settings.web_port or 6066,
        "web_host": "127.0.0.1",
        "broker_commit_every": 1000,
        "broker_commit_interval": 1.0,
        "consumer_auto_offset_reset": "earliest",
        "broker_max_poll_records": FETCH_MAX_RECORDS,
        "Monitor": PartitionMonitor,
    }
    options.update(overrides)
    logger.info(
        "faust app=%s guarantee=%s brokers=%s", name, settings.processing_guarantee, servers
    )
    app = faust.App(name, **options)
    app.transport = Transport(app.conf.broker_consumer, app)
    return app
