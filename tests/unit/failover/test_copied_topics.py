"""Which source topics MirrorMaker copies to a target region, per topology."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from keybus.failover.parity import topics_copied_to

SOURCE_TOPICS = {
    "deliveries": 3,
    "west.deliveries": 3,
    "westbound": 1,
    "mm2-offset-syncs.west.internal": 1,
    "__consumer_offsets": 50,
}


class _Admin:
    """Return `SOURCE_TOPICS` as `AdminClient.list_topics` metadata."""

    def list_topics(self, timeout: float) -> Any:
        return SimpleNamespace(
            topics={
                name: SimpleNamespace(partitions=dict.fromkeys(range(count)))
                for name, count in SOURCE_TOPICS.items()
            }
        )


def test_active_active_leaves_out_target_copies() -> None:
    copied = topics_copied_to(_Admin(), "active-active", "west")  # type: ignore[arg-type]

    assert copied == {"deliveries": 3, "westbound": 1}


def test_active_passive_copies_every_topic() -> None:
    copied = topics_copied_to(_Admin(), "active-passive", "west")  # type: ignore[arg-type]

    assert copied == {"deliveries": 3, "west.deliveries": 3, "westbound": 1}
