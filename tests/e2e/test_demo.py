"""The main job as a user runs it: `keybus demo` on a fresh state folder and free ports.

Everything is real: the demo starts its own Kafka, registry, router and enricher
processes, and must stop all of them at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from keybus.cluster import KafkaDistribution
from keybus.cluster.process import pid_alive
from keybus.testing import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_demo_accounts_for_every_event(tmp_path: Path) -> None:
    distribution = KafkaDistribution.default()
    distribution.fetch()
    (tmp_path / distribution.root.name).symlink_to(distribution.root)
    env = dict(
        os.environ,
        KEYBUS_HOME=str(tmp_path),
        KEYBUS_EAST_KAFKA_PORT=str(free_port()),
        KEYBUS_EAST_CONTROLLER_PORT=str(free_port()),
        KEYBUS_EAST_REGISTRY_PORT=str(free_port()),
        COLUMNS="200",
    )

    result = subprocess.run(
        [sys.executable, "-m", "keybus.cli", "demo", "--deliveries", "60", "--root", str(REPO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Accounted for: 1" in result.stdout
    assert "2 of 2 broken records in the dead letters with a reason" in result.stdout
    assert "Stopped everything the demo started" in result.stdout
    output = " ".join(result.stdout.split())  # rich wraps long lines
    device, notifications = re.findall(r"Accounted for: (\d+) of (\d+) (\w+)", output)
    assert device[2] == "device"
    assert device[0] == device[1]
    assert notifications[2] == "notifications"
    assert notifications[0] == notifications[1]
    assert int(notifications[1]) > 0
    assert re.search(r"Recipient notifier: \d+ of \d+ notifications delivered, \d+ of", output)
    assert re.search(r"in the dead letters \(.*not-retryable \(NoRecipientError\)", output)
    for pid_file in tmp_path.rglob("*.pid"):
        pid = int(pid_file.read_text())
        assert not pid_alive(pid, ""), f"process {pid} from {pid_file} still runs"
