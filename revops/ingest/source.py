"""The dlt source: one resource per raw table, plus the quarantine and the file ledger.

All the work happens inside the resources while dlt extracts, so the same source serves
`run_ingestion` and dagster-dlt's `@dlt_assets` (which may select a subset of resources).
A raw-table resource yields three kinds of items:

- Arrow batches for its own table (merge on the primary key, newest version wins);
- its quarantine rows, routed to `_quarantine` (a dlt table variant, append);
- one ledger row per file read, routed to `_ingested_files` (a table variant, append),
  one item per group of small files read together (see _file_groups),

so a file's rows, its rejects and its ledger entry travel in the same load package: the
ledger entry only counts once that package is complete (see warehouse.read_ledger). The
`_quarantine` and `_ingested_files` resources only create those tables (an empty Arrow
table), so they exist for dbt and the checks before the first bad row arrives.
"""

import logging
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing
from datetime import UTC, datetime
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from revops.contract import OBJECTS, ObjectSpec, spec_for
from revops.ingest.dlt_settings import configure_dlt, pipelines_dir
from revops.ingest.errors import LandingFileError
from revops.ingest.files import (
    LandingFile,
    LandingSnapshot,
    fingerprint,
    is_unchanged,
    read_header,
    take_snapshot,
)
from revops.ingest.reader import (
    FileCounts,
    FileReader,
    keys_in_one_file_each,
    reader_database,
)
from revops.ingest.report import IngestReport, TableReport
from revops.ingest.tables import (
    LEDGER_COLUMNS,
    LEDGER_SCHEMA,
    LEDGER_TABLE,
    QUARANTINE_COLUMNS,
    QUARANTINE_SCHEMA,
    QUARANTINE_TABLE,
    column_hints,
    raw_column_hints,
    raw_schema,
)
from revops.ingest.warehouse import LedgerEntry, RawLookups, raw_lookups

SOURCE_NAME = "revops_landing"
# Reading errors that mean "this file is damaged", not "this code is wrong".
_UNREADABLE = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    OSError,
    EOFError,
    zlib.error,
    UnicodeDecodeError,
)
# Rows per Arrow batch handed to dlt: ~250k rows of a 30-column table is ~60 MB in memory.
ROWS_PER_BATCH = 250_000
# Small files are read in groups (see _file_groups): up to this many bytes or files per group.
GROUP_BYTES = 16 * 1024 * 1024
GROUP_FILES = 64

log = logging.getLogger("revops.ingest")
Progress = Callable[[str], None]


def build_source(
    landing_dir: Path,
    duckdb_path: Path,
    tables: Sequence[str] | None = None,
    *,
    report: IngestReport | None = None,
    progress: Progress | None = None,
    postgres: str | None = None,
) -> DltSource:
    """Return the dlt source that loads `landing_dir` into schema raw of `duckdb_path`, or of
    the PostgreSQL database at the connection string `postgres` (the look-ups of what raw
    already holds then read that database; dlt's folder and spill files stay beside
    `duckdb_path`).

    `tables` limits the raw tables (default: every object of the contract); the quarantine
    and ledger resources are always included. Pass an IngestReport to read per-table counts
    and errors after the run (each resource resets its own entry when it starts).
    """
    configure_dlt()
    specs = [spec_for(table) for table in tables] if tables else list(OBJECTS)
    report = report if report is not None else IngestReport()
    say = progress or log.info
    landing_dir = Path(landing_dir)
    duckdb_path = Path(duckdb_path)
    # The landing files this run reads, listed once before anything is read: an export that
    # lands while the run is extracting is read by the next run, never half-read by this one.
    snapshot = take_snapshot(landing_dir, specs)
    lookups = raw_lookups(duckdb_path, postgres)

    @dlt.source(name=SOURCE_NAME, max_table_nesting=0)
    def revops_landing() -> list[DltResource]:
        return [
            *(
                _raw_table_resource(spec, landing_dir, duckdb_path, lookups, snapshot, report, say)
                for spec in specs
            ),
            _empty_table_resource(QUARANTINE_TABLE, QUARANTINE_COLUMNS, QUARANTINE_SCHEMA),
            _empty_table_resource(LEDGER_TABLE, LEDGER_COLUMNS, LEDGER_SCHEMA),
        ]

    return revops_landing()


def _current_load_id() -> str:
    """The id of the dlt load package being extracted: the value dlt later writes to
    `_dlt_loads` when the package has loaded completely."""
    try:
        return dlt.current.load_package_state()["load_id"]
    except CurrentLoadPackageStateNotAvailable:
        return "not-in-a-dlt-load"  # the resource iterated outside a pipeline: nothing loads


def _empty_table_resource(name: str, columns, schema: pa.Schema) -> DltResource:
    def create_table() -> Iterator[pa.Table]:
        yield schema.empty_table()

    return dlt.resource(
        create_table, name=name, write_disposition="append", columns=column_hints(columns)
    )


def _raw_table_resource(
    spec: ObjectSpec,
    landing_dir: Path,
    duckdb_path: Path,
    lookups: RawLookups,
    snapshot: LandingSnapshot,
    report: IngestReport,
    say: Progress,
) -> DltResource:
    def load_table() -> Iterator:
        yield from _load_table(
            spec, landing_dir, duckdb_path, lookups, snapshot[spec.table],
            report.start_table(spec.table), say,
        )

    resource = dlt.resource(load_table, name=spec.table, parallelized=True)
    # Variants first: dlt copies the resource's hints into a variant when it is created, and
    # the raw table's key and columns must not leak into the quarantine or the ledger.
    for table, columns in ((QUARANTINE_TABLE, QUARANTINE_COLUMNS), (LEDGER_TABLE, LEDGER_COLUMNS)):
        resource.apply_hints(
            table_name=table,
            create_table_variant=True,
            write_disposition="append",
            columns=column_hints(columns),
        )
    resource.apply_hints(
        primary_key=spec.primary_key,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        columns=raw_column_hints(spec),
    )
    return resource


def _load_table(
    spec: ObjectSpec,
    landing_dir: Path,
    duckdb_path: Path,
    lookups: RawLookups,
    files: list[LandingFile],
    table_report: TableReport,
    say: Progress,
) -> Iterator:
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    load_id = _current_load_id()
    # An empty batch first: the raw table exists with every contract column from the first run.
    yield raw_schema(spec).empty_table()

    fingerprints: dict[LandingFile, str] = {}
    pending = _changed_files(
        files, lookups.read_ledger(spec.table), fingerprints, table_report, say
    )
    if table_report.files_skipped:
        say(
            f"{spec.table}: {len(table_report.files_skipped)} file(s) unchanged since their "
            "last load, skipped"
        )

    # Check every header before reading any rows: one broken file stops the whole table, so
    # raw stays as the last good run left it and the asset fails with the file and column.
    headers = {}
    for file in list(pending):
        try:
            headers[file] = read_header(file, spec)
        except LandingFileError as error:
            if is_unchanged(file):
                table_report.errors.append(error)
            else:  # a half-written header is a writer at work, not a broken export
                _defer(file, pending, table_report, say)
    if table_report.errors:
        for error in table_report.errors:
            say(f"{spec.table}: {error}")
        rows = _file_error_rows(spec, landing_dir, table_report.errors, loaded_at, load_id)
        yield dlt.mark.with_table_name(rows, QUARANTINE_TABLE)
        return

    temp_dir = pipelines_dir(duckdb_path) / "tmp"  # where DuckDB spills a file too big for RAM
    raw_has_rows = bool(pending) and lookups.holds_rows(spec.table)
    # One in-memory DuckDB for the table's files, each read in a connection of its own.
    with closing(reader_database(temp_dir)) as database:
        if pending and not raw_has_rows and keys_in_one_file_each(
            [(file, headers[file]) for file in pending], spec, database
        ):
            # A first load whose keys each sit in one file: the rows go straight into raw.
            # Merged, dlt wrote every row to raw_staging first and then ranked the copy by
            # key: 19.7 s against 8.9 s for map_activity's 7.9M rows at 1M leads.
            say(f"{spec.table}: first load, each key in one file: appended, not merged")
            # Without its merge-only tie-break hint, which dlt would warn about; the next run's
            # resource brings both back (see _raw_table_resource).
            appending = dlt.mark.make_hints(
                write_disposition="append",
                columns=[{"name": spec.version_column, "dedup_sort": None}],
            )
            yield dlt.mark.with_hints(raw_schema(spec).empty_table(), appending)
        for group in _file_groups(list(pending)):
            with ExitStack() as open_readers:
                staged: list[tuple[LandingFile, FileReader]] = []
                stopped: LandingFileError | None = None
                for file in group:
                    reader = open_readers.enter_context(FileReader(
                        file, spec, headers[file], loaded_at=loaded_at, load_id=load_id,
                        database=database,
                    ))
                    try:
                        if not is_unchanged(file):
                            _defer(file, pending, table_report, say)
                            continue
                        reader.stage()
                        reader.validate()
                    except _UNREADABLE as exc:
                        if not is_unchanged(file):  # e.g. a Parquet file whose footer is not written yet
                            _defer(file, pending, table_report, say)
                            continue
                        # A damaged file (truncated gzip, I/O error): the table stops here. Files
                        # before it in name order load; this one and the rest are read again
                        # next run, since the ledger does not list them.
                        stopped = LandingFileError(spec.table, file.path, f"cannot read the file: {exc}")
                        break
                    # Checked after staging, which copied the rows into the reader's own database:
                    # if size and time still match the snapshot, what was staged is the file as listed.
                    if not is_unchanged(file):
                        _defer(file, pending, table_report, say)
                        continue
                    staged.append((file, reader))
                yield from _merge_items(spec, staged, lookups, raw_has_rows, fingerprints, table_report, say)
            if stopped is not None:
                table_report.errors.append(stopped)
                say(f"{spec.table}: {stopped}")
                yield dlt.mark.with_table_name(
                    _file_error_rows(spec, landing_dir, [stopped], loaded_at, load_id), QUARANTINE_TABLE
                )
                return


def _file_groups(files: list[LandingFile]) -> Iterator[list[LandingFile]]:
    """Consecutive files (name order) read together: one look-up of raw's versions and one
    ledger item per group. A daily run lands ~200 small files at 1M leads: a look-up per file
    (~0.15 s each against 8M raw rows, one at a time) and dlt's ~20 ms per item were most of
    its 29 s. A file of GROUP_BYTES or more is a group of its own, so a full load still holds
    one file's rows at a time."""
    group: list[LandingFile] = []
    group_bytes = 0
    for file in files:
        if group and (group_bytes + file.size > GROUP_BYTES or len(group) >= GROUP_FILES):
            yield group
            group, group_bytes = [], 0
        group.append(file)
        group_bytes += file.size
    if group:
        yield group


def _merge_items(
    spec: ObjectSpec,
    staged: list[tuple[LandingFile, FileReader]],
    lookups: RawLookups,
    raw_has_rows: bool,
    fingerprints: dict[LandingFile, str],
    table_report: TableReport,
    say: Progress,
) -> Iterator:
    """The items of a group of staged files: their rows to merge (batches of one schema put
    together up to ROWS_PER_BATCH), then their rejects and their ledger rows."""
    if not staged:
        return
    existing = None
    if raw_has_rows:
        keys = pa.concat_tables([reader.keys() for _, reader in staged])
        existing = lookups.existing_versions(spec, keys)
    pending_batches: list[pa.RecordBatch] = []
    pending_rows = 0
    quarantines, ledger_rows = [], []
    for file, reader in staged:
        for batch in reader.batches(existing, ROWS_PER_BATCH):
            if pending_batches and (
                batch.schema != pending_batches[0].schema
                or pending_rows + batch.num_rows > ROWS_PER_BATCH
            ):
                yield pa.Table.from_batches(pending_batches)
                pending_batches, pending_rows = [], 0
            pending_batches.append(batch)
            pending_rows += batch.num_rows
        quarantine = reader.quarantine()
        if quarantine.num_rows:
            quarantines.append(quarantine)
        counts = reader.counts
        ledger_rows.append(
            _ledger_row(spec, file, fingerprints[file], counts, reader.loaded_at, reader.load_id)
        )
        table_report.files_read.append(file.relative)
        table_report.rows_read += counts.rows_read
        table_report.rows_loaded += counts.rows_loaded
        table_report.rows_skipped += counts.rows_skipped
        table_report.rows_quarantined += counts.rows_quarantined
        note = " (re-read with Python's csv module, see csv_lines.py)" if counts.slow_path else ""
        say(
            f"{spec.table}: {file.name} {counts.rows_read:,} rows, {counts.rows_loaded:,} "
            f"loaded, {counts.rows_skipped:,} unchanged or older, "
            f"{counts.rows_quarantined:,} quarantined{note}"
        )
    if pending_batches:
        yield pa.Table.from_batches(pending_batches)
    if quarantines:
        yield dlt.mark.with_table_name(pa.concat_tables(quarantines), QUARANTINE_TABLE)
    yield dlt.mark.with_table_name(pa.concat_tables(ledger_rows), LEDGER_TABLE)


def _defer(
    file: LandingFile, pending: list[LandingFile], table_report: TableReport, say: Progress
) -> None:
    """Leave a file that changed since the run's snapshot (a writer still at work) for the next
    run: none of its rows and no ledger row go into this run's load."""
    if file in pending:
        pending.remove(file)
    table_report.files_deferred.append(file.relative)
    say(
        f"{table_report.table}: {file.name} changed since this run listed the landing files "
        f"(size {file.size:,} bytes then): still being written, left for the next run"
    )


def _changed_files(
    files: list[LandingFile],
    ledger: dict[str, LedgerEntry],
    fingerprints: dict[LandingFile, str],
    table_report: TableReport,
    say: Progress,
) -> list[LandingFile]:
    """Files never loaded, or changed since: size and time first, the content hash if those
    differ (a file touched without changing is not read again). Fills `fingerprints` for the
    files to read: hashed before reading, so a file rewritten mid-read differs next run."""
    pending = []
    for file in files:
        entry = ledger.get(file.relative)
        if entry and (entry.file_size, entry.modified_at) == (file.size, file.modified_at):
            table_report.files_skipped.append(file.relative)
            continue
        try:
            fingerprints[file] = fingerprint(file.path)
        except FileNotFoundError:  # moved away since the snapshot (a writer renaming a file)
            _defer(file, pending, table_report, say)
            continue
        if entry and entry.fingerprint == fingerprints[file]:
            table_report.files_skipped.append(file.relative)
            continue
        pending.append(file)
    return pending


def _ledger_row(
    spec: ObjectSpec,
    file: LandingFile,
    file_fingerprint: str,
    counts: FileCounts,
    loaded_at: datetime,
    load_id: str,
) -> pa.Table:
    row = {
        "table_name": spec.table,
        "source_file": file.relative,
        "file_size": file.size,
        "modified_at": file.modified_at,
        "fingerprint": file_fingerprint,
        "rows_read": counts.rows_read,
        "rows_loaded": counts.rows_loaded,
        "rows_skipped": counts.rows_skipped,
        "rows_quarantined": counts.rows_quarantined,
        "_loaded_at": loaded_at,
        "_dlt_load_id": load_id,
    }
    return pa.Table.from_pylist([row], schema=LEDGER_SCHEMA)


def _file_error_rows(
    spec: ObjectSpec,
    landing_dir: Path,
    errors: list[LandingFileError],
    loaded_at: datetime,
    load_id: str,
) -> pa.Table:
    """One quarantine row per file that stopped the table (line 1: the header)."""
    rows = []
    for error in errors:
        try:
            relative = error.path.relative_to(landing_dir).as_posix()
        except ValueError:
            relative = str(error.path)
        rows.append(
            {
                "table_name": spec.table,
                "source_file": relative,
                "source_line": 1,
                "column_name": error.column,
                "error_type": error.error_type,
                "reason": str(error),
                "raw_record": ",".join(getattr(error, "header", [])) or None,
                "_loaded_at": loaded_at,
                "_dlt_load_id": load_id,
            }
        )
    return pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)
