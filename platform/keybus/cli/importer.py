"""`keybus import`: publish a recorded event log (CSV or XES) to a topic exactly once."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keybus.cli.console import console, fail
from keybus.cli.options import BootstrapServersOption, RegistryOption, check_topic_option
from keybus.cli.paths import check_output_path
from keybus.errors import KeybusError, counted
from keybus.importer import (
    ImportOptions,
    ImportPlan,
    ImportResult,
    LogMapping,
    load_mapping,
    mapping_from_dict,
    open_log,
    plan_import,
    progress_topic_name,
    run_import,
)
from keybus.importer.job import DEFAULT_BATCH_ROWS
from keybus.importer.limits import PRODUCER_DEFAULT_BYTES
from keybus.importer.schema import load_schema
from keybus.kafka import check_brokers

__all__ = ["import_log"]

logger = logging.getLogger(__name__)

_REJECTS_SHOWN = 10

Strings = list[str] | None


def import_log(  # noqa: PLR0917 - Typer takes one parameter per option
    file: Annotated[Path, typer.Argument(help="Event log: .csv, .xes, or either gzip-compressed.")],
    topic: Annotated[str, typer.Option(help="Topic to publish to; created when missing.")],
    bootstrap_servers: BootstrapServersOption,
    registry: RegistryOption,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping file; flags override it.")
    ] = None,
    case: Annotated[
        str | None, typer.Option(help="Case id column; default: case:concept:name.")
    ] = None,
    activity: Annotated[
        str | None, typer.Option(help="Activity column; default: concept:name.")
    ] = None,
    timestamp: Annotated[
        str | None, typer.Option(help="Timestamp column; default: time:timestamp.")
    ] = None,
    resource: Annotated[
        str | None, typer.Option(help="Resource column; default: org:resource.")
    ] = None,
    lifecycle: Annotated[
        str | None, typer.Option(help="Lifecycle column; default: lifecycle:transition.")
    ] = None,
    event_id_column: Annotated[
        str | None, typer.Option(help="Column with unique event ids; default: file and row.")
    ] = None,
    exclude: Annotated[Strings, typer.Option(help="Column to leave out; repeatable.")] = None,
    missing_value: Annotated[
        Strings,
        typer.Option(
            help="Value read as missing in every column; repeatable. "
            "Replaces the defaults '' and EMPTY."
        ),
    ] = None,
    column_missing: Annotated[
        Strings, typer.Option(help="COLUMN=VALUE read as missing in one column; repeatable.")
    ] = None,
    string_column: Annotated[
        Strings, typer.Option(help="Column kept as text whatever it holds; repeatable.")
    ] = None,
    default_offset: Annotated[
        str | None, typer.Option(help="UTC offset for times written without one [+00:00].")
    ] = None,
    drop_exact_duplicates: Annotated[
        bool, typer.Option(help="Reject a row equal to the previous row of its case.")
    ] = False,
    record_name: Annotated[
        str | None, typer.Option(help="Avro full name of the event record.")
    ] = None,
    log_format: Annotated[
        str | None, typer.Option("--format", help="csv or xes; default: from the name.")
    ] = None,
    schema: Annotated[
        Path | None, typer.Option(help="Reviewed schema (from --schema-out) to use.")
    ] = None,
    schema_out: Annotated[
        Path | None, typer.Option(help="Write the inferred schema to this file.")
    ] = None,
    infer_rows: Annotated[
        int | None, typer.Option(help="Infer types from the first N rows only; default: all rows.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Infer and check the schema, then stop without publishing.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="JSON Lines file for rejected rows [<file name>.rejects.jsonl]."),
    ] = None,
    batch_rows: Annotated[int, typer.Option(help="Rows per transaction.")] = DEFAULT_BATCH_ROWS,
    message_max_bytes: Annotated[
        int,
        typer.Option(
            help="Largest record in bytes the producer sends (message.max.bytes). A row "
            "whose record is larger than this or the topic's max.message.bytes is rejected.",
            min=1_000,
            max=1_000_000_000,
        ),
    ] = PRODUCER_DEFAULT_BYTES,
    partitions: Annotated[int, typer.Option(help="Partitions when creating the topic.")] = 3,
    replication_factor: Annotated[int, typer.Option(help="Replication of created topics.")] = 1,
    progress_topic: Annotated[
        str | None, typer.Option(help="Progress topic [<topic>.import-progress].")
    ] = None,
    subject_strategy: Annotated[
        str, typer.Option(help="Subject naming: topic_record, topic or record.")
    ] = "topic_record",
    allow_mixed_topic: Annotated[
        bool,
        typer.Option(
            help="Append to a topic that already contains other events instead of stopping."
        ),
    ] = False,
    new_rows_only: Annotated[
        bool,
        typer.Option(
            help="When the topic contains an import of a file this CSV log starts with, "
            "publish only the rows after that import's last row."
        ),
    ] = False,
    allow_other_imports: Annotated[
        bool,
        typer.Option(
            help="Publish every row although the topic contains imports of other files "
            "instead of stopping."
        ),
    ] = False,
) -> None:
    """Import an event log: infer and register its schema, then publish every row once.

    Run it again after a crash to resume; a finished import publishes nothing more.

    A new import stops before it writes anything when the topic already contains other
    events: event types the event catalog assigns to the topic, registry subjects of the
    topic for another record, or last records whose ce_type or ce_source differ from this
    import's. Import into a new topic, or pass --allow-mixed-topic to append anyway. A
    resumed or finished import of the same file is not checked again.

    A new import also stops when the progress topic lists imports of other files into
    the topic, such as an earlier version of the same log, whose rows would be published
    again as new events. When an earlier file is a prefix of this CSV log (rows were
    appended), --new-rows-only publishes only the rows after it. --allow-other-imports
    publishes every row anyway.

    A row whose record is larger than --message-max-bytes or the topic's
    max.message.bytes goes to the rejects file with its size and the limit.
    """
    overrides: dict[str, Any] = {
        "case": case,
        "activity": activity,
        "timestamp": timestamp,
        "resource": resource,
        "lifecycle": lifecycle,
        "event_id": event_id_column,
        "exclude": exclude or None,
        "missing_values": missing_value or None,
        "column_missing_values": _column_values(column_missing),
        "string_columns": string_column or None,
        "default_offset": default_offset,
        "drop_exact_duplicates": drop_exact_duplicates or None,
        "record_name": record_name,
    }
    if new_rows_only and allow_other_imports:
        raise typer.BadParameter(
            "--new-rows-only and --allow-other-imports exclude each other: pass one."
        )
    try:
        check_topic_option(topic, "--topic")
        if progress_topic is None:
            check_topic_option(
                progress_topic_name(topic), "the progress topic derived from --topic"
            )
        else:
            check_topic_option(progress_topic, "--progress-topic")
        mapping = _mapping(mapping_file, overrides)
        log = open_log(file, _format(log_format))
        inputs = [path for path in (file, mapping_file, schema) if path is not None]
        if schema_out is not None:
            check_output_path(schema_out, "--schema-out", inputs=inputs)
        if not dry_run:
            outputs = [] if schema_out is None else [schema_out]
            rejects_path = rejects or _default_rejects(log.name)
            check_output_path(rejects_path, "--rejects", inputs=[*inputs, *outputs])
        plan = plan_import(
            log,
            mapping,
            schema=None if schema is None else load_schema(schema),
            infer_rows=infer_rows,
        )
        _write_schema(plan, schema_out)
        if dry_run:
            _print_columns(plan)
            return
        options = ImportOptions(
            topic=topic,
            bootstrap_servers=bootstrap_servers,
            registry_url=registry,
            batch_rows=batch_rows,
            message_max_bytes=message_max_bytes,
            partitions=partitions,
            replication_factor=replication_factor,
            progress_topic=progress_topic,
            rejects_path=rejects or _default_rejects(log.name),
            subject_strategy=subject_strategy,
            allow_mixed_topic=allow_mixed_topic,
            new_rows_only=new_rows_only,
            allow_other_imports=allow_other_imports,
        )
        check_brokers(bootstrap_servers)
        with _progress_bar() as bar:
            task = bar.add_task(f"import {escape(log.name)}", total=plan.scan.rows)
            result = run_import(
                log, mapping, plan, options, lambda row: bar.update(task, completed=row)
            )
    except KeybusError as exc:
        fail(exc)
    _print_result(result, options.rejects_path)
    if result.stats.rejects and not result.stats.events:
        fail(
            f"Every row of {log.name} was rejected ({counted(result.stats.rejects, 'row')}), "
            "so the import published no event. The reasons are in "
            f"{_rejects_file(result, options)}."
        )


def _default_rejects(log_name: str) -> Path:
    return Path(f"{log_name}.rejects.jsonl")


def _rejects_file(result: ImportResult, options: ImportOptions) -> str:
    """Return where the rejected rows of `result` are, for messages."""
    if result.already_finished:
        return "the rejects file of the run that imported it"
    return str(options.rejects_path)


def _mapping(path: Path | None, overrides: dict[str, Any]) -> LogMapping:
    if path is not None:
        return load_mapping(path, **overrides)
    return mapping_from_dict({k: v for k, v in overrides.items() if v is not None})


def _column_values(pairs: Strings) -> dict[str, list[str]] | None:
    if not pairs:
        return None
    values: dict[str, list[str]] = {}
    for pair in pairs:
        column, separator, value = pair.partition("=")
        if not separator:
            raise typer.BadParameter(
                f"--column-missing {pair!r} has no '='; write COLUMN=VALUE, e.g. dismissal=NIL."
            )
        values.setdefault(column, []).append(value)
    return values


def _format(text: str | None) -> Literal["csv", "xes"] | None:
    if text is None or text in ("csv", "xes"):
        return text  # type: ignore[return-value]
    raise typer.BadParameter(f"--format {text!r} is not supported; use csv or xes.")


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _write_schema(plan: ImportPlan, path: Path | None) -> None:
    if path is not None:
        path.write_text(json.dumps(plan.schema, indent=2) + "\n")
        console.print(f"schema written to {escape(str(path))}")


def _print_columns(plan: ImportPlan) -> None:
    table = Table("column", "field", "type", "nullable", title="attributes")
    for attribute in plan.scan.attributes:
        table.add_row(
            escape(attribute.column or "(empty name)"),
            attribute.field,
            attribute.kind.value,
            "yes" if attribute.nullable else "no",
        )
    console.print(table)
    if plan.scan.rows is None:
        console.print("rows: not counted, because with --schema only the first row is read")
    else:
        console.print(f"rows: {plan.scan.rows}")


def _print_result(result: ImportResult, rejects_path: Path | None) -> None:
    if result.already_finished:
        console.print(
            f"{escape(result.topic)}: this file was already imported "
            f"({result.stats.events} events, {result.stats.rejects} rejects); nothing published."
        )
        return
    stats = result.stats
    table = Table("", "count", title=f"import into {escape(result.topic)}", show_header=False)
    table.add_row("rows read", str(stats.rows))
    table.add_row("events in topic from this file", str(stats.events))
    table.add_row("published by this run", str(result.published))
    table.add_row("resumed after row", str(result.resumed_after_row))
    table.add_row("rejected rows", str(stats.rejects))
    table.add_row("exact duplicates (kept, duplicate_of_row set)", str(stats.exact_duplicates))
    table.add_row("equal times next to each other in a case", str(stats.equal_times_in_case))
    table.add_row("times earlier than the previous in a case", str(stats.earlier_times_in_case))
    table.add_row("times without offset (default offset used)", str(stats.assumed_offset))
    table.add_row("date-only times (local midnight)", str(stats.date_only))
    table.add_row("sub-millisecond digits cut", str(stats.sub_millisecond_cut))
    for column, count in sorted(stats.placeholders_by_column.items()):
        table.add_row(f"placeholders read as null in {escape(column)}", str(count))
    console.print(table)
    console.print(f"schema id {result.schema_id}, subject {escape(result.subject)}")
    for reject in result.rejects[:_REJECTS_SHOWN]:
        console.print(f"  rejected row {reject.row}: {escape(reject.reason)}")
    if result.rejects:
        console.print(f"all {len(result.rejects)} rejects: {escape(str(rejects_path))}")
