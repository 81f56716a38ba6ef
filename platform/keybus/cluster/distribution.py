"""The Apache Kafka distribution: jars resolved by Maven into a versioned cache folder."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from keybus.cluster.errors import DistributionError, ToolNotFoundError

__all__ = ["RESOURCES", "KafkaDistribution", "kafka_version", "keybus_home"]

logger = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent / "resources"
"""deploy/kafka: the pom that pins Kafka, the server.properties template, log4j2.yaml."""

_POM_NAMESPACE = {"m": "http://maven.apache.org/POM/4.0.0"}
_COMPLETE_MARKER = ".complete"


def keybus_home() -> Path:
    """Return the folder for jars and local cluster state: `KEYBUS_HOME` or ~/.cache/keybus."""
    configured = os.environ.get("KEYBUS_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "keybus"


def kafka_version(pom: Path = RESOURCES / "pom.xml") -> str:
    """Read the pinned Kafka release from the pom's `kafka.version` property."""
    element = ET.parse(pom).find("m:properties/m:kafka.version", _POM_NAMESPACE)
    if element is None or not element.text:
        raise DistributionError(
            f"{pom} has no <kafka.version> property; add one under <properties>."
        )
    return element.text.strip()


@dataclass(frozen=True)
class KafkaDistribution:
    """The jars of one pinned Kafka release, fetched once into `<home>/kafka-<version>/libs`."""

    version: str
    root: Path

    @classmethod
    def default(cls, home: Path | None = None) -> KafkaDistribution:
        """Describe the pinned release under `home` (default: `keybus_home()`)."""
        version = kafka_version()
        return cls(version=version, root=(home or keybus_home()) / f"kafka-{version}")

    @property
    def libs(self) -> Path:
        """Folder holding every jar of the broker, its tools and MirrorMaker 2."""
        return self.root / "libs"

    @property
    def classpath(self) -> str:
        """Return the JVM class path wildcard for the jars."""
        return str(self.libs / "*")

    def is_fetched(self) -> bool:
        """Return whether a previous fetch completed."""
        return (self.libs / _COMPLETE_MARKER).exists()

    def fetch(self) -> bool:
        """Resolve the jars with Maven unless a previous fetch completed.

        Returns:
            True when jars were fetched now, False when they were already there.
        """
        if self.is_fetched():
            return False
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ToolNotFoundError(
                "mvn",
                f"fetch the Apache Kafka {self.version} jars",
                "Install Apache Maven 3.6 or newer (for example `apt-get install maven`).",
            )
        self.root.mkdir(parents=True, exist_ok=True)
        pom = self.root / "pom.xml"
        shutil.copyfile(RESOURCES / "pom.xml", pom)
        logger.info("fetching Kafka jars version=%s into=%s", self.version, self.libs)
        self._run_maven(mvn, pom)
        jars = sorted(path.name for path in self.libs.glob("*.jar"))
        (self.libs / _COMPLETE_MARKER).write_text("\n".join(jars) + "\n")
        return True

    def _run_maven(self, mvn: str, pom: Path) -> None:
        command = [
            mvn,
            "--batch-mode",
            "--quiet",
            "--file",
            str(pom),
            "dependency:copy-dependencies",
            f"-Dkeybus.libs={self.libs}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip().splitlines()[-30:]
            raise DistributionError(
                f"Maven failed to resolve Apache Kafka {self.version} (exit {result.returncode}). "
                "Check that Maven Central is reachable and the version in deploy/kafka/pom.xml "
                "exists. Maven output:\n" + "\n".join(output)
            )
