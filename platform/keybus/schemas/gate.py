"""The schema CI gate: test each catalog schema against its subject's registered versions."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from keybus.errors import counted
from keybus.registry.client import RegistryClient, SchemaNotRegisteredError
from keybus.schemas.avro import parse_avro
from keybus.schemas.catalog import Catalog, CatalogEvent
from keybus.schemas.compatibility import CompatibilityLevel, check_compatibility
from keybus.serde.naming import SubjectStrategy, topic_record_name_strategy
from keybus.types import SchemaId, Subject

__all__ = ["GateResult", "check_catalog", "register_catalog", "render_report"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateResult:
    """The verdict on one catalog schema.

    Attributes:
        event_type: the schema's full name.
        subject: the registry subject it belongs to.
        compatibility_level: the subject's level (its own, else the global one).
        registered_versions: how many versions the subject holds.
        already_registered: the subject contains this schema already.
        problems: why registering it would break consumers; empty when it would not.
    """

    event_type: str
    subject: Subject
    compatibility_level: str
    registered_versions: int
    already_registered: bool
    problems: list[str] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        """True when the schema may be registered without breaking consumers."""
        return not self.problems


def check_catalog(
    catalog: Catalog | Iterable[CatalogEvent],
    registry: RegistryClient,
    strategy: SubjectStrategy = topic_record_name_strategy,
) -> list[GateResult]:
    """Check every event schema against all registered versions of its subject.

    Versions are compared under the subject's compatibility level with keybus's own
    checker, so the gate gives the same verdict against any Confluent-compatible
    registry. The `_TRANSITIVE` levels compare with every version, the others with
    the latest only.
    """
    return [_check_one(event, registry, strategy) for event in catalog]


def _check_one(
    event: CatalogEvent, registry: RegistryClient, strategy: SubjectStrategy
) -> GateResult:
    subject = event.subject(strategy)
    text = json.dumps(event.schema)
    level = registry.get_compatibility(subject)
    versions = registry.get_versions(subject)
    if not versions:
        return GateResult(event.event_type, subject, level, 0, already_registered=False)
    try:
        registry.lookup(subject, text)
    except SchemaNotRegisteredError:
        pass
    else:
        return GateResult(event.event_type, subject, level, len(versions), already_registered=True)
    previous = [parse_avro(registry.get_version(subject, v).schema) for v in versions]
    problems = check_compatibility(parse_avro(text), previous, CompatibilityLevel(level))
    logger.debug("checked subject=%s level=%s problems=%d", subject, level, len(problems))
    return GateResult(
        event.event_type, subject, level, len(versions), already_registered=False, problems=problems
    )


def register_catalog(
    catalog: Catalog | Iterable[CatalogEvent],
    registry: RegistryClient,
    strategy: SubjectStrategy = topic_record_name_strategy,
) -> dict[Subject, SchemaId]:
    """Register every event schema under its subject; the registry enforces compatibility."""
    registered: dict[Subject, SchemaId] = {}
    for event in catalog:
        subject = event.subject(strategy)
        registered[subject] = registry.register(subject, json.dumps(event.schema))
        logger.info("registered subject=%s schema_id=%s", subject, registered[subject])
    return registered


def render_report(results: list[GateResult]) -> str:
    """Render the gate's verdicts as plain text, one block per subject."""
    lines = []
    for result in results:
        if result.problems:
            status = "INCOMPATIBLE"
        elif result.already_registered:
            status = "unchanged"
        elif result.registered_versions == 0:
            status = "new subject"
        else:
            status = "compatible"
        lines.append(
            f"{status:<12} {result.subject} (level {result.compatibility_level}, "
            f"{counted(result.registered_versions, 'registered version')})"
        )
        lines += [f"    - {problem}" for problem in result.problems]
    broken = sum(1 for r in results if r.problems)
    lines.append(f"{counted(len(results), 'schema')} checked, {broken} incompatible.")
    return "\n".join(lines)
