"""Run AWS event-ruler as an oracle: one JVM judges every (pattern, event) pair."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ORACLE_PROJECT", "OracleUnavailableError", "RulerOracle"]

ORACLE_PROJECT = Path(__file__).resolve().parents[2] / "differential" / "event-ruler"
"""Maven project of the oracle program; its pom.xml pins the event-ruler version."""

_BUILD_TIMEOUT_S = 600
_JUDGE_TIMEOUT_S = 300


class OracleUnavailableError(RuntimeError):
    """Java or Maven is missing, or the oracle does not build."""


@dataclass(frozen=True)
class RulerOracle:
    """The command that starts the oracle JVM."""

    command: tuple[str, ...]

    @classmethod
    def build(cls) -> RulerOracle:
        """Compile the oracle with Maven and resolve its class path.

        Raises:
            OracleUnavailableError: With the missing tool or the Maven output.
        """
        java = shutil.which("java")
        mvn = shutil.which("mvn")
        if java is None or mvn is None:
            missing = " and ".join(n for n, p in (("java", java), ("mvn", mvn)) if p is None)
            raise OracleUnavailableError(
                f"{missing} not found on PATH; the differential test needs Java 17 and Maven "
                "(Debian: apt-get install openjdk-17-jdk-headless maven)"
            )
        build = subprocess.run(
            [mvn, "-q", "-B", "compile", "dependency:build-classpath",
             "-Dmdep.outputFile=target/classpath.txt"],
            cwd=ORACLE_PROJECT, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S,
            check=False,
        )  # fmt: skip
        if build.returncode != 0:
            raise OracleUnavailableError(
                f"mvn compile of {ORACLE_PROJECT} failed (exit {build.returncode}):\n"
                f"{build.stdout[-3000:]}{build.stderr[-3000:]}"
            )
        classpath = (ORACLE_PROJECT / "target" / "classpath.txt").read_text().strip()
        classes = ORACLE_PROJECT / "target" / "classes"
        return cls((java, "-cp", f"{classes}:{classpath}", "dev.keybus.oracle.RulerOracle"))

    def judge(self, pairs: list[tuple[object, object]]) -> list[str]:
        """Return event-ruler's verdict per pair.

        A verdict is match, no-match, invalid-pattern or invalid-event.
        """
        lines = [
            json.dumps({"id": i, "pattern": json.dumps(pattern), "event": json.dumps(event)})
            for i, (pattern, event) in enumerate(pairs)
        ]
        run = subprocess.run(
            self.command, input="\n".join(lines) + "\n", capture_output=True, text=True,
            timeout=_JUDGE_TIMEOUT_S, check=False,
        )  # fmt: skip
        if run.returncode != 0:
            raise OracleUnavailableError(f"oracle exited {run.returncode}: {run.stderr[-3000:]}")
        replies = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        if len(replies) != len(pairs):
            raise OracleUnavailableError(f"oracle answered {len(replies)} of {len(pairs)} cases")
        return [reply["verdict"] for reply in sorted(replies, key=lambda r: r["id"])]
