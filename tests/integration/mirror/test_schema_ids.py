"""A schema registered in east has the same id through west's registry, and parity checks.

Real clusters, a real MirrorMaker 2 copying `_schemas`, and two real `keybus registry
serve` processes over HTTP: east's on east's `_schemas`, west's on the mirrored copy
with its mode set to READONLY.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keybus.failover.parity import compare_subjects, compare_topics
from keybus.registry.server.local import LocalRegistry
from keybus.testing import free_port
from keybus.testing.regions import TwoRegions

WAIT_S = 60.0
SCHEMA = {
    "type": "record",
    "name": "DoorUnlocked",
    "namespace": "com.example.access",
    "fields": [{"name": "lock_id", "type": "string"}],
}


@pytest.fixture(scope="module")
def registries(
    two_regions: TwoRegions, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Start east's registry, wait for `_schemas` in west, start west's read-only registry."""
    home = tmp_path_factory.mktemp("registries")
    east = LocalRegistry("east", two_regions.east.bootstrap_servers, free_port(), home)
    west = LocalRegistry("west", two_regions.west.bootstrap_servers, free_port(), home)
    east.start()
    try:
        two_regions.wait_for_topic("_schemas")
        west.start()
        httpx.put(f"{west.url}/mode", json={"mode": "READONLY"}, timeout=10).raise_for_status()
        yield east.url, west.url
    finally:
        west.stop()
        east.stop()


def _wait_for_id(registry_url: str, schema_id: int) -> httpx.Response:
    deadline = time.monotonic() + WAIT_S
    while True:
        response = httpx.get(f"{registry_url}/schemas/ids/{schema_id}", timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


def test_schema_id_same_in_west(registries: tuple[str, str]) -> None:
    east_url, west_url = registries
    subject = f"access-{uuid.uuid4().hex[:8]}-com.example.access.DoorUnlocked"
    registered = httpx.post(
        f"{east_url}/subjects/{subject}/versions",
        json={"schema": json.dumps(SCHEMA)},
        timeout=10,
    )
    schema_id = registered.json()["id"]

    by_id = _wait_for_id(west_url, schema_id)
    latest = httpx.get(f"{west_url}/subjects/{subject}/versions/latest", timeout=10)

    assert registered.status_code == 200, registered.text
    assert by_id.status_code == 200, by_id.text
    assert json.loads(by_id.json()["schema"]) == SCHEMA
    assert latest.json()["id"] == schema_id


def test_west_registry_rejects_writes(registries: tuple[str, str]) -> None:
    _east_url, west_url = registries
    subject = f"west-write-{uuid.uuid4().hex[:8]}"

    response = httpx.post(
        f"{west_url}/subjects/{subject}/versions", json={"schema": json.dumps(SCHEMA)}, timeout=10
    )

    assert response.status_code == 422, response.text
    assert "read-only" in response.text


def test_mirror_check_reports_no_subject_difference(registries: tuple[str, str]) -> None:
    east_url, west_url = registries
    subject = f"check-{uuid.uuid4().hex[:8]}-com.example.access.DoorUnlocked"
    registered = httpx.post(
        f"{east_url}/subjects/{subject}/versions", json={"schema": json.dumps(SCHEMA)}, timeout=10
    )
    _wait_for_id(west_url, registered.json()["id"])
    deadline = time.monotonic() + WAIT_S
    while compare_subjects(east_url, west_url) and time.monotonic() < deadline:
        time.sleep(0.5)

    differences = compare_subjects(east_url, west_url)

    assert differences == []


def test_mirror_check_reports_missing_prefixed_copies(two_regions: TwoRegions) -> None:
    differences = compare_topics(
        two_regions.east.bootstrap_servers,
        two_regions.west.bootstrap_servers,
        "east",
        "west",
        "active-active",
    )

    missing = {difference.name for difference in differences if difference.kind == "topic missing"}
    assert "east._schemas" in missing


def test_mirror_check_command_passes_on_topics(two_regions: TwoRegions, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "keybus.cli", "mirror", "check", "--skip-registry",
        "--source-servers", two_regions.east.bootstrap_servers,
        "--target-servers", two_regions.west.bootstrap_servers,
    ]  # fmt: skip
    deadline = time.monotonic() + WAIT_S
    while True:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "west matches east" in result.stdout


def test_mirror_status_shows_lag_and_checkpoints(two_regions: TwoRegions) -> None:
    command = [
        sys.executable, "-m", "keybus.cli", "mirror", "status",
        "--source-servers", two_regions.east.bootstrap_servers,
        "--target-servers", two_regions.west.bootstrap_servers,
    ]  # fmt: skip

    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=_wide_env()
    )

    assert result.returncode == 0, result.stderr
    assert "_schemas" in result.stdout
    assert "last checkpoint" in result.stdout
    assert " ago" in result.stdout, "no group has a checkpoint"


def _wide_env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200"}
