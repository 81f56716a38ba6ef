"""Run an import: plan the schema, then publish rows exactly once in Kafka transactions."""

from __future__ import annotations

import gc
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException

from keybus.events.cloudevents import Headers
from keybus.importer.errors import ImportConflictError, LogFormatError
from keybus.importer.events import EVENT_FIELDS, EventBuilder, EventFields, ImportStats, Reject
from keybus.importer.limits import (
    PRODUCER_DEFAULT_BYTES,
    RECORD_OVERHEAD_BYTES,
    RecordSizeLimit,
    read_record_size_limit,
)
from keybus.importer.mapping import LogMapping
from keybus.importer.progress import (
    Progress,
    check_no_collision,
    ensure_topic,
    progress_key,
    progress_topic_name,
    read_imports,
)
from keybus.importer.publisher import IMPORT_PRODUCER_CONFIG, EventRecordHeaders, ImportProducer
from keybus.importer.readers import EventLog, RowCache, SourceRow
from keybus.importer.records import EventRecordEncoder
from keybus.importer.schema import LogScan, build_schema, columns_from_schema, infer_columns
from keybus.importer.target import check_target_topic
from keybus.importer.versions import first_row_to_publish
from keybus.kafka import unreachable_error
from keybus.registry.client import RegistryClient
from keybus.serde import AvroSerializer, ParsedSchema, SerializationError, parse_schema
from keybus.types import SchemaId, Subject

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "ImportOptions",
    "ImportPlan",
    "ImportResult",
    "collector_paused",
    "plan_import",
    "run_import",
]

logger = logging.getLogger(__name__)

_Encoded = tuple[bytes, bytes, Headers]
"""Record key, framed value and headers."""

ProgressCallback = Callable[[int], None]
"""Called with the number of rows handled so far, after each committed transaction."""

_PROGRESS_CONFIG = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}


DEFAULT_BATCH_ROWS = 20_000
"""Rows per transaction. Each commit waits for every record of its transaction, so
fewer, larger transactions import faster. A rerun after a crash redoes at most one."""

MAX_CACHED_VALUES = 2_000_000
"""Logs with up to this many values in all are kept in memory after the inference pass
instead of being read a second time. Measured with tracemalloc, a value takes about
131 to 156 bytes in XES logs read on the faster path, whose keys are not shared, and
102 bytes in `receipt.csv`, so the rows kept take at most about 310 MB. BPI Challenge
2012 has 1.82 million."""


@dataclass(frozen=True)
class ImportPlan:
    """The log's columns, the event schema an import validates against, and cached rows."""

    scan: LogScan
    schema: dict[str, Any]
    parsed: ParsedSchema
    cache: RowCache | None = None

    def rows(self, log: EventLog) -> Iterator[SourceRow]:
        """Yield the rows of `log`, from the cache when it contains all of them."""
        if self.cache is not None and self.cache.complete:
            return self.cache.rows()
        return log.rows()


def plan_import(
    log: EventLog,
    mapping: LogMapping,
    *,
    schema: dict[str, Any] | None = None,
    infer_rows: int | None = None,
) -> ImportPlan:
    """Infer the schema from a first read of the log, or take a reviewed `schema`.

    With a reviewed schema only the first row is read, to check the mapping's columns,
    and the number of rows stays unknown (None) until the import has run.
    """
    if schema is not None:
        first = infer_columns(itertools.islice(log.rows(), 1), mapping)
        _check_not_empty(log, first)
        attributes = columns_from_schema(schema, "given with --schema")
        scan = LogScan(first.columns, None, attributes)
        return ImportPlan(scan, schema, parse_schema(schema))
    cache = RowCache(MAX_CACHED_VALUES)
    with collector_paused():
        scan = infer_columns(cache.keep(log.rows()), mapping, infer_rows=infer_rows)
    _check_not_empty(log, scan)
    schema = build_schema(mapping, scan.attributes)
    return ImportPlan(scan, schema, parse_schema(schema), cache)


def _check_not_empty(log: EventLog, scan: LogScan) -> None:
    if not scan.rows:
        raise LogFormatError(
            f"Event log {log.path} has no event rows, so there is nothing to import. Check "
            "that it is the intended file and that it is not truncated.",
            path=str(log.path),
        )


@dataclass(frozen=True)
class ImportOptions:
    """Target and settings of an import.

    Attributes:
        topic: the target topic; created when missing.
        bootstrap_servers: Kafka's `bootstrap.servers`.
        registry_url: the schema registry's base URL.
        batch_rows: rows per transaction.
        partitions: partitions of the target topic when the import creates it.
        replication_factor: replication factor of topics the import creates.
        progress_topic: the compacted progress topic; `<topic>.import-progress` if None.
        rejects_path: JSON Lines file the rejected rows are written to when there are
            any, or None.
        subject_strategy: "topic_record" (default), "topic" or "record".
        allow_mixed_topic: publish to a topic that already contains other events; by
            default a new import into such a topic raises MixedTopicError.
        message_max_bytes: the producer's `message.max.bytes`. A row whose record is
            larger than this or than the topic's `max.message.bytes` is rejected.
        new_rows_only: when the topic contains a finished import of a file this one starts
            with, publish only the rows after that import's last row.
        allow_other_imports: publish every row although the topic contains imports of
            other files; by default a new import into such a topic raises
            EarlierImportError.
    """

    topic: str
    bootstrap_servers: str
    registry_url: str
    batch_rows: int = DEFAULT_BATCH_ROWS
    partitions: int = 3
    replication_factor: int = 1
    progress_topic: str | None = None
    rejects_path: Path | None = None
    subject_strategy: str = "topic_record"
    allow_mixed_topic: bool = False
    message_max_bytes: int = PRODUCER_DEFAULT_BYTES
    new_rows_only: bool = False
    allow_other_imports: bool = False


@dataclass
class ImportResult:
    """The outcome of one import run."""

    topic: str
    subject: Subject
    schema_id: SchemaId
    rows: int
    published: int
    resumed_after_row: int
    already_finished: bool
    stats: ImportStats
    rejects: list[Reject] = field(default_factory=list)


def run_import(
    log: EventLog,
    mapping: LogMapping,
    plan: ImportPlan,
    options: ImportOptions,
    on_progress: ProgressCallback | None = None,
) -> ImportResult:
    """Publish every row of `log` exactly once, resuming after the last committed row.

    Raises:
        ImportConflictError: an unfinished import of this file used other options.
        EarlierImportError: a new import targets a topic that contains imports of other
            files, and neither `new_rows_only` nor `allow_other_imports` allows it.
            Nothing was written.
        MixedTopicError: a new import targets a topic that contains other events, and
            `allow_mixed_topic` is not set. Nothing was written.
        TransactionError: a commit failed; run the import again to resume.
        BrokerUnavailableError: no Kafka broker could be reached at the bootstrap servers.
    """
    try:
        with collector_paused():
            return _ImportRun(log, mapping, plan, options).run(on_progress or (lambda rows: None))
    except KafkaException as exc:
        error = unreachable_error(exc, options.bootstrap_servers)
        if error is None:
            raise
        raise error from exc


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore its state.

    Keeping a log's rows creates millions of objects, and each full collection walks all
    of them again: for BPI Challenge 2012 that was about 0.8 of 5 CPU seconds of reading,
    inference and building. Rows, events and records hold no reference cycles, so
    reference counting still frees them while the collector waits.

    NOTE: the pause is process-wide, so cycles other threads create meanwhile are only
    collected after the import.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_source(file_sha256: str) -> str:
    """Return the `ce_source` of the events imported from the file with this SHA-256."""
    return f"urn:keybus:import:sha256:{file_sha256}"


class _ImportRun:
    def __init__(
        self, log: EventLog, mapping: LogMapping, plan: ImportPlan, options: ImportOptions
    ) -> None:
        self.log = log
        self.mapping = mapping
        self.plan = plan
        self.options = options
        self.progress_topic = options.progress_topic or progress_topic_name(options.topic)
        self.builder = EventBuilder(mapping, plan.scan.attributes, log.sha256)
        self.event_type = plan.parsed.name or "keybus.eventlog.LogEvent"
        self.source = _import_source(log.sha256)
        self.headers = EventRecordHeaders(
            event_type=self.event_type, source=self.source, trace_id=log.sha256[:32]
        )
        # The importer's own record layout has a faster encoder than the generic one.
        self.encoder = EventRecordEncoder.for_schema(plan.schema, plan.parsed)
        self.published = 0
        self.size_limit = RecordSizeLimit(options.message_max_bytes, None)

    def run(self, on_progress: ProgressCallback) -> ImportResult:
        # The transactional id is derived from topic and file, so the producer of a new
        # run fences a killed one and aborts its open transaction before reading progress.
        with ImportProducer(
            self.options.bootstrap_servers,
            self.options.registry_url,
            source=self.source,
            subject_strategy=self.options.subject_strategy,
            auto_register=True,
            transactional_id=f"keybus-import.{self.options.topic}.{self.log.sha256[:24]}",
            config={
                **IMPORT_PRODUCER_CONFIG,
                "message.max.bytes": self.options.message_max_bytes,
            },
        ) as producer:
            imports = read_imports(
                self.options.bootstrap_servers, self.progress_topic, topic=self.options.topic
            )
            progress = imports.get(self.log.sha256)
            self._check_resume(progress)
            first_row = 0
            if progress is None:
                first_row = self._check_topic(imports)
            serializer = AvroSerializer(
                self.plan.parsed,
                producer.registry,
                subject_strategy=producer.subject_strategy,
                auto_register=True,
                validate=False,
            )
            check_no_collision(
                self.options.bootstrap_servers, [self.options.topic, self.progress_topic]
            )
            # Registering the schema first means that a registry that is down or rejects
            # the schema stops the import before it creates any topic.
            header = serializer.header(self.options.topic)
            self._ensure_topics()
            result = self._result(serializer, 0, already_finished=False)
            if progress is not None and progress.finished:
                logger.info("import already finished topic=%s file=%s", result.topic, self.log.name)
                result.already_finished = True
                result.resumed_after_row = progress.last_row
                result.stats.events, result.stats.rejects = progress.events, progress.rejects
                return result
            self.size_limit = read_record_size_limit(
                self.options.bootstrap_servers,
                self.options.topic,
                producer_bytes=self.options.message_max_bytes,
            )
            # NOTE: an import that continues an earlier one builds that import's rows too,
            # so its event and reject counts include them; `published` counts its own.
            resume_row = first_row if progress is None else progress.last_row
            result.rejects = self._publish(producer, serializer, header, resume_row, on_progress)
        result.resumed_after_row = resume_row
        result.rows, result.published = self.builder.stats.rows, self.published
        self._write_rejects(result.rejects)
        return result

    def _result(
        self, serializer: AvroSerializer, rows: int, *, already_finished: bool
    ) -> ImportResult:
        return ImportResult(
            topic=self.options.topic,
            subject=serializer.subject(self.options.topic),
            schema_id=serializer.schema_id(self.options.topic),
            rows=rows,
            published=0,
            resumed_after_row=0,
            already_finished=already_finished,
            stats=self.builder.stats,
            rejects=[],
        )

    def _check_topic(self, imports: dict[str, Progress]) -> int:
        """Reject a new import into a topic that contains other events, before any write.

        Returns the row after which the import starts: 0, or the last row of the earlier
        import it continues. Only an import without progress is checked: a resumed or
        finished import of this file already decided on its topic and first row.
        """
        first_row = first_row_to_publish(
            self.log,
            imports,
            self.options.topic,
            new_rows_only=self.options.new_rows_only,
            allow_other_imports=self.options.allow_other_imports,
        )
        if first_row:
            logger.info(
                "import continues an earlier import topic=%s after_row=%s",
                self.options.topic,
                first_row,
            )
        if self.options.allow_mixed_topic:
            return first_row
        earlier_sources = frozenset(_import_source(sha) for sha in imports)
        with RegistryClient(self.options.registry_url) as registry:
            check_target_topic(
                self.options.bootstrap_servers,
                registry,
                self.options.topic,
                event_type=self.event_type,
                source=self.source,
                log_name=self.log.name,
                earlier_sources=earlier_sources,
            )
        return first_row

    def _ensure_topics(self) -> None:
        ensure_topic(
            self.options.bootstrap_servers,
            self.options.topic,
            partitions=self.options.partitions,
            replication_factor=self.options.replication_factor,
        )
        ensure_topic(
            self.options.bootstrap_servers,
            self.progress_topic,
            partitions=1,
            replication_factor=self.options.replication_factor,
            config=_PROGRESS_CONFIG,
        )

    def _check_resume(self, progress: Progress | None) -> None:
        if progress is None or progress.finished:
            return
        mapping_fingerprint = self.mapping.fingerprint()
        if (
            progress.mapping_fingerprint == mapping_fingerprint
            and progress.schema_fingerprint == self.plan.parsed.fingerprint
        ):
            logger.info(
                "import resumes topic=%s after_row=%s", self.options.topic, progress.last_row
            )
            return
        raise ImportConflictError(
            f"An unfinished import of {self.log.name} (sha256 {self.log.sha256[:12]}…) into "
            f"{self.options.topic} committed rows 1 to {progress.last_row} with another "
            "mapping or schema. Run it again with the same options to finish it, or "
            "import into a new topic.",
            topic=self.options.topic,
            file_sha256=self.log.sha256,
        )

    def _publish(
        self,
        producer: ImportProducer,
        serializer: AvroSerializer,
        header: bytes,
        resume_row: int,
        on_progress: ProgressCallback,
    ) -> list[Reject]:
        rejects: list[Reject] = []
        records = self._records_after(resume_row, serializer, header, rejects)
        topic = self.options.topic
        last_row = resume_row
        finished = False
        while not finished:
            # Records are queued while the next ones are built, so the client sends them
            # during the transaction instead of all at its commit.
            with producer.transaction():
                last_row, finished = self._send_batch(producer, records, last_row, rejects)
            logger.debug("import batch committed topic=%s last_row=%s", topic, last_row)
            on_progress(last_row)
        return rejects

    def _records_after(
        self, resume_row: int, serializer: AvroSerializer, header: bytes, rejects: list[Reject]
    ) -> Iterator[tuple[int, _Encoded | None]]:
        """Yield the row number and record of each row after `resume_row`, or None for a reject.

        Earlier rows are built too but not yielded: they set the per-case sequence and
        duplicate state, and their rejects are listed again. A record over the size limit
        is a reject. The key counts twice because the `ce_subject` header repeats it.

        NOTE: a resumed import compares earlier rows with the limit of the current run, so
        when the limit changed since the crash, the rejects listed for rows the earlier
        run committed follow the new limit.
        """
        build = self.builder.build_fields
        encode = self._encoder(serializer)
        headers_for = self.headers.for_event
        max_size = self.size_limit.max_bytes - RECORD_OVERHEAD_BYTES
        case_id, key = None, b""
        for source in self.plan.rows(self.log):
            fields = build(source)
            record = None
            if isinstance(fields, Reject):
                rejects.append(fields)
            else:
                try:
                    value = encode(fields, header)
                except SerializationError as exc:
                    rejects.append(self._event_reject(source, fields, exc.message))
                else:
                    # Rows of one case are usually adjacent and share the case id string.
                    if fields[1] is not case_id:
                        case_id = fields[1]
                        key = case_id.encode()
                    if len(value) + 2 * len(key) > max_size:
                        size = len(value) + 2 * len(key) + RECORD_OVERHEAD_BYTES
                        reason = self.size_limit.reject_reason(size, self.options.topic)
                        rejects.append(self._event_reject(source, fields, reason))
                    else:
                        record = key, value, headers_for(fields[0], fields[3], case_id)
            if source.row > resume_row:
                yield source.row, record

    def _encoder(self, serializer: AvroSerializer) -> Callable[[EventFields, bytes], bytes]:
        """Return the function that encodes event fields behind a wire-format header."""
        if self.encoder is not None:
            return self.encoder.encode

        def encode_generic(fields: EventFields, header: bytes) -> bytes:
            return serializer.encode_body(dict(zip(EVENT_FIELDS, fields, strict=True)), header)

        return encode_generic

    def _event_reject(self, source: SourceRow, fields: EventFields, reason: str) -> Reject:
        self.builder.stats.events -= 1
        self.builder.stats.rejects += 1
        return Reject(source.row, fields[1], reason, source.values)

    def _send_batch(
        self,
        producer: ImportProducer,
        records: Iterator[tuple[int, _Encoded | None]],
        last_row: int,
        rejects: list[Reject],
    ) -> tuple[int, bool]:
        """Queue the records of up to `batch_rows` rows and the progress after them.

        Returns the last row of the batch and whether it ends the log.
        """
        topic = self.options.topic
        send = producer.send_encoded
        batch_start = last_row
        finished = True
        sent = 0
        for row, record in records:
            last_row = row
            if record is not None:
                key, value, headers = record
                send(topic, key=key, value=value, headers=headers)
                sent += 1
            if row - batch_start >= self.options.batch_rows:
                finished = False
                break
        send(
            self.progress_topic,
            key=progress_key(self.options.topic, self.log.sha256),
            value=self._progress(last_row, len(rejects), finished=finished).to_json(),
            headers=[("content-type", b"application/json")],
        )
        self.published += sent
        return last_row, finished

    def _progress(self, last_row: int, rejects: int, *, finished: bool) -> Progress:
        return Progress(
            file_sha256=self.log.sha256,
            file_name=self.log.name,
            last_row=last_row,
            events=self.builder.stats.events,
            rejects=rejects,
            finished=finished,
            mapping_fingerprint=self.mapping.fingerprint(),
            schema_fingerprint=self.plan.parsed.fingerprint,
            file_bytes=self.log.size_bytes,
        )

    def _write_rejects(self, rejects: list[Reject]) -> None:
        path = self.options.rejects_path
        if path is None or not rejects:
            return
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for reject in rejects:
                line = {
                    "row": reject.row,
                    "case_id": reject.case_id,
                    "reason": reject.reason,
                    "values": reject.values,
                }
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        temporary.replace(path)
