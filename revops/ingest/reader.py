"""Read one landing file into typed, validated Arrow batches, all of it inside DuckDB.

Per file, in a private in-memory DuckDB connection (the warehouse file is never opened here):

1. stage: CSV through `read_csv` as text with DuckDB's reject store, Parquet through
   `read_parquet` with native types; every row gets `__line`, its physical line.
2. type: cast each contract column to its declared type with TRY_CAST-style SQL; a value
   that is present but does not parse, an empty primary key or an empty version marks the row.
3. quarantine: marked rows and rows the CSV reader rejected, one row per problem.
4. keep the latest version of each key within the file; `batches` then drops every row whose
   key raw already holds at the same or a newer version and streams the rest as Arrow.

No Python touches individual rows on this path. The exceptions are CSV files whose quoting
breaks RFC 4180 (see csv_lines.py) or that DuckDB's reader refuses outright: those are
re-read with Python's csv module, which counts physical lines itself.
"""

import csv
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

import duckdb
import numpy as np
import pyarrow as pa

from revops.contract import ObjectSpec
from revops.ingest.csv_lines import record_texts, scan_record_lines
from revops.ingest.files import Header, LandingFile, iter_csv_bytes
from revops.ingest.parsing import SourceFormats, formats_for, hint_sql, parse_sql
from revops.ingest.tables import QUARANTINE_SCHEMA, duckdb_type, key_not_null

# RFC 4180 exports (Salesforce Data Loader, Bulk API, connector dumps): comma, double quote,
# quotes escaped by doubling. Fixed rather than sniffed: the sniffer guessed "no quoting" for a
# file with one stray quote and then split every multi-line cell.
_CSV_OPTIONS = (
    "auto_detect = false, header = true, delim = ',', quote = '\"', escape = '\"', "
    "strict_mode = true, store_rejects = true, encoding = 'utf-8'"
)
# Fivetran connector columns: the soft-delete flag (read as is_deleted when the file has no
# IsDeleted) and history mode's flag of the current version of a record.
_FIVETRAN_DELETED = "_fivetran_deleted"
_FIVETRAN_ACTIVE = "_fivetran_active"
# DuckDB's cap for one file's private connection (it spills to temp_dir beyond it). Its default,
# 80% of RAM, let the whole file stay in memory, so the ingestion's peak grew with the file
# (the generator writes five files per table whatever the scale).
READER_MEMORY_LIMIT = os.environ.get("REVOPS_INGEST_READER_MEMORY", "256MB")
# Longest value quoted back in a quarantine reason.
_REASON_VALUE_CHARS = 200


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class FileCounts:
    rows_read: int = 0  # data records in the file (blank lines not counted)
    rows_quarantined: int = 0  # records with at least one problem
    rows_valid: int = 0
    rows_loaded: int = 0  # handed to the merge
    slow_path: bool = False  # the CSV was re-read with Python's csv module

    @property
    def rows_skipped(self) -> int:
        """Valid rows not loaded: a newer line of the same key, or raw is already as new."""
        return self.rows_valid - self.rows_loaded


def reader_database(temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for FileReaders: pass it as `database` to read several files
    in one instance (each reader takes a connection of its own). Opening and closing an
    instance per file cost ~13 ms each way: 20% of the samples of a 205-file daily ingestion
    at 1M leads."""
    config = {"preserve_insertion_order": True, "memory_limit": READER_MEMORY_LIMIT}
    if temp_dir is not None:
        config["temp_directory"] = str(temp_dir)
    return duckdb.connect(":memory:", config=config)


class FileReader:
    """One landing file in its own connection to an in-memory DuckDB (a private one unless
    `database` is given); use as a context manager."""

    def __init__(
        self,
        file: LandingFile,
        spec: ObjectSpec,
        header: Header,
        *,
        loaded_at: datetime,
        load_id: str,
        temp_dir: Path | None = None,
        formats: SourceFormats | None = None,
        database: duckdb.DuckDBPyConnection | None = None,
    ):
        self.file = file
        # How this source writes dates and money (landing_formats.yml); see parsing.py.
        self.formats = formats if formats is not None else formats_for(spec)
        self.spec = spec
        self.header = header
        self.loaded_at = loaded_at
        self.load_id = load_id
        self.counts = FileCounts()
        self.extras = [name for name in header.canonical if name not in spec.columns]
        # A connection of its own: its temp tables (src, good, the CSV reader's rejects) are
        # this file's alone, in a shared database when one is given.
        self.con = reader_database(temp_dir) if database is None else database.cursor()
        self.con.execute("SET TimeZone = 'UTC'")
        # No progress bar: DuckDB draws one on stdout for queries longer than 2 s.
        self.con.execute("SET enable_progress_bar = false")
        self._quarantine: list[pa.Table] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()

    def _scalar(self, sql: str) -> int:
        # fetchall, not fetchone: this DuckDB refuses new work while a result is unfinished.
        return self.con.execute(sql).fetchall()[0][0]

    # 1. stage ------------------------------------------------------------------------------

    def stage(self) -> None:
        """Create temp table `src`: the file's columns under canonical names, plus `__line`."""
        if self.file.format == "parquet":
            self._stage_parquet()
        else:
            self._stage_csv()
        src_rows = self._scalar("SELECT count(*) FROM src")
        self.counts.rows_read += src_rows

    def _stage_parquet(self) -> None:
        columns = ", ".join(
            f"{_ident(original)} AS {_ident(name)}"
            for original, name in zip(self.header.original, self.header.canonical, strict=True)
        )
        self.con.execute(
            f"CREATE TEMP TABLE src AS SELECT file_row_number + 1 AS __line, {columns} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(self.file.path)],
        )

    def _stage_csv(self) -> None:
        lines = scan_record_lines(iter_csv_bytes(self.file))
        if not lines.quoting_valid:
            # A stray quote inside an unquoted cell: a CSV reader takes it as a character, the
            # line scan as the start of a quoted cell. Python's csv module counts lines itself.
            self._stage_csv_with_python()
            return
        columns = (
            "{" + ", ".join(f"{_lit(name)}: 'VARCHAR'" for name in self.header.canonical) + "}"
        )
        compression = "gzip" if self.file.format == "csv.gz" else "none"
        try:
            self.con.execute(
                f"CREATE TEMP TABLE src_csv AS SELECT * FROM read_csv(?, {_CSV_OPTIONS}, "
                f"columns = {columns}, compression = '{compression}')",
                [str(self.file.path)],
            )
        except duckdb.InvalidInputException:
            # DuckDB gives up on some files instead of rejecting rows ("The CSV Parser state
            # machine reached an invalid state", e.g. lines ending in CR CR LF).
            self._stage_csv_with_python()
            return
        rejects = self.con.sql(
            """
            -- A short row gets one entry per missing column; the first names the problem.
            SELECT line,
                   arg_min(column_name, column_idx) AS column_name,
                   arg_min(CAST(error_type AS VARCHAR) || ': ' || error_message, column_idx)
                       AS message
            FROM reject_errors
            GROUP BY line
            ORDER BY line
            """
        ).to_arrow_table()
        # DuckDB numbers records (header = 1, blank lines counted); lines.start_line is indexed
        # the same way, so record k = line - 1 and its physical line is start_line[k].
        record = np.asarray(rejects.column("line").to_numpy(), dtype=np.int64) - 1
        keep = ~lines.blank.copy()
        keep[0] = False
        in_range = (record >= 0) & (record < len(keep))
        keep[record[in_range]] = False
        good_lines = lines.start_line[keep]
        loaded = self._scalar("SELECT count(*) FROM src_csv")
        if not in_range.all() or len(good_lines) != loaded:
            # DuckDB and the line scan disagree on the records (not seen with valid quoting;
            # kept as a guard so a line number is never wrong): count them in Python instead.
            self.con.execute("DROP TABLE src_csv")
            self._stage_csv_with_python()
            return
        self.con.register("line_numbers", pa.table({"rn": np.arange(loaded), "line": good_lines}))
        self.con.execute(
            "CREATE TEMP TABLE src AS SELECT line_numbers.line AS __line, src_csv.* "
            "FROM src_csv JOIN line_numbers ON line_numbers.rn = src_csv.rowid"
        )
        self.con.unregister("line_numbers")
        self.con.execute("DROP TABLE src_csv")
        if rejects.num_rows:
            self._add_rejects(
                lines=lines.start_line[record],
                columns=rejects.column("column_name").to_pylist(),
                messages=rejects.column("message").to_pylist(),
                # The bytes of the record, not DuckDB's csv_line (which may start with the
                # previous record's line feed in CRLF files).
                raw_records=record_texts(iter_csv_bytes(self.file), lines, record),
            )

    def _stage_csv_with_python(self) -> None:
        self.counts.slow_path = True
        width = len(self.header.canonical)
        values: list[list[str | None]] = [[] for _ in range(width)]
        line_numbers: list[int] = []
        bad_lines, bad_messages, bad_raw = [], [], []
        csv.field_size_limit(max(csv.field_size_limit(), 64 << 20))
        opener = gzip.open if self.file.format == "csv.gz" else open
        with opener(self.file.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="replace")
            reader = csv.reader(text)
            next(reader, None)
            previous_end = reader.line_num
            for row in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not row:
                    continue
                if len(row) != width:
                    out = io.StringIO()
                    csv.writer(out, lineterminator="").writerow(row)
                    bad_lines.append(start)
                    bad_messages.append(f"Expected Number of Columns: {width} Found: {len(row)}")
                    bad_raw.append(out.getvalue())
                    continue
                line_numbers.append(start)
                for column, value in zip(values, row, strict=True):
                    column.append(value if value != "" else None)
        arrays = {"__line": pa.array(line_numbers, pa.int64())}
        for name, column in zip(self.header.canonical, values, strict=True):
            arrays[name] = pa.array(column, pa.string())
        self.con.register("python_csv", pa.table(arrays))
        self.con.execute("CREATE TEMP TABLE src AS SELECT * FROM python_csv")
        self.con.unregister("python_csv")
        if bad_lines:
            self._add_rejects(
                lines=np.asarray(bad_lines, dtype=np.int64),
                columns=[None] * len(bad_lines),
                messages=bad_messages,
                raw_records=bad_raw,
            )

    def _add_rejects(self, lines: np.ndarray, columns: list, messages: list, raw_records: list):
        count = len(lines)
        self.counts.rows_read += count
        self.counts.rows_quarantined += count
        self._quarantine.append(
            pa.table(
                {
                    "table_name": pa.array([self.spec.table] * count, pa.string()),
                    "source_file": pa.array([self.file.relative] * count, pa.string()),
                    "source_line": pa.array(lines, pa.int64()),
                    "column_name": pa.array(columns, pa.string()),
                    "error_type": pa.array(["malformed_csv"] * count, pa.string()),
                    "reason": pa.array(
                        [f"malformed CSV record: {message}" for message in messages], pa.string()
                    ),
                    "raw_record": pa.array(raw_records, pa.string()),
                    "_loaded_at": pa.array([self.loaded_at] * count, pa.timestamp("us")),
                    "_dlt_load_id": pa.array([self.load_id] * count, pa.string()),
                },
                schema=QUARANTINE_SCHEMA,
            )
        )

    # 2. type and 3. quarantine ---------------------------------------------------------------

    def validate(self) -> None:
        """Create temp table `good` (typed, valid, latest line per key) and the quarantine."""
        source_types = dict(
            self.con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'src'"
            ).fetchall()
        )
        inner, outer, checks = ["src.__line AS __line"], ["__line"], []
        raw_aliases: dict[str, str] = {}
        for position, (name, kind) in enumerate(self.spec.columns.items()):
            column = _ident(name)
            raw_alias = _ident(f"__raw_{position}")
            # A Fivetran connector flags soft deletes in _fivetran_deleted instead of IsDeleted.
            source_name = name
            if name == "is_deleted" and name not in source_types:
                source_name = _FIVETRAN_DELETED if _FIVETRAN_DELETED in source_types else name
            source_type = source_types.get(source_name)
            source_column = f"src.{_ident(source_name)}"
            if source_type is None:
                inner.append(f"CAST(NULL AS {duckdb_type(kind)}) AS {column}")
            elif kind == "text":
                inner.append(f"CAST({source_column} AS VARCHAR) AS {column}")  # no-op for text
            else:
                if source_type == "VARCHAR":
                    raw_value = f"nullif(trim({source_column}), '')"
                    typed = parse_sql(kind, raw_value, self.formats)
                    hint = hint_sql(kind, raw_alias, self.formats)
                else:
                    raw_value = source_column
                    typed = f"try_cast({source_column} AS {duckdb_type(kind)})"
                    hint = "''"
                inner += [f"{raw_value} AS {raw_alias}", f"{typed} AS {column}"]
                raw_aliases[name] = raw_alias
                shown = f"left(CAST({raw_alias} AS VARCHAR), {_REASON_VALUE_CHARS})"
                checks.append(
                    f"CASE WHEN {raw_alias} IS NOT NULL AND {column} IS NULL THEN "
                    f"{{'column_name': {_lit(name)}, 'error_type': 'bad_value', "
                    f"'reason': 'column {name}: ''' || {shown} || ''' is not a valid {kind}' || {hint}}} END"
                )
            outer.append(column)
        for name in self.extras:
            inner.append(f"CAST(src.{_ident(name)} AS VARCHAR) AS {_ident(name)}")
            outer.append(_ident(name))

        key = _ident(self.spec.primary_key)
        version = _ident(self.spec.version_column)
        checks.append(
            f"CASE WHEN {key} IS NULL OR trim({key}) = '' THEN "
            f"{{'column_name': {_lit(self.spec.primary_key)}, 'error_type': 'empty_primary_key', "
            f"'reason': 'column {self.spec.primary_key}: primary key is empty'}} END"
        )
        version_raw = raw_aliases.get(self.spec.version_column)
        version_empty = f"{version_raw} IS NULL" if version_raw else "true"
        checks.append(
            f"CASE WHEN {version} IS NULL AND {version_empty} THEN "
            f"{{'column_name': {_lit(self.spec.version_column)}, 'error_type': 'empty_version', "
            f"'reason': 'column {self.spec.version_column}: version is empty, so the latest "
            f"version of the record cannot be told'}} END"
        )
        self.con.execute(
            f"""
            CREATE TEMP TABLE typed AS
            SELECT {", ".join(outer)},
                   list_filter([{", ".join(checks)}], lambda problem: problem IS NOT NULL) AS __errors
            FROM (SELECT {", ".join(inner)} FROM src) AS parsed
            """
        )
        self._quarantine_bad_values()
        self.con.execute("DROP TABLE src")

        bad = self._scalar("SELECT count(*) FROM typed WHERE len(__errors) > 0")
        self.counts.rows_quarantined += bad
        self.counts.rows_valid = self.counts.rows_read - self.counts.rows_quarantined
        # History mode (Fivetran): one row per version of a record, _fivetran_active true on
        # the current one. Only that one loads; the others count as skipped, and a record with
        # no active row (deleted in history mode) loads nothing.
        inactive = ""
        if _FIVETRAN_ACTIVE in self.extras:
            active = _ident(_FIVETRAN_ACTIVE)
            inactive = f"AND coalesce(try_cast(trim({active}) AS BOOLEAN), true)"
        # Latest version per key; two lines with the same version: the later line wins.
        self.con.execute(
            f"""
            CREATE TEMP TABLE good AS
            SELECT * EXCLUDE (__errors) FROM typed
            WHERE len(__errors) = 0 {inactive}
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {version} DESC, __line DESC) = 1
            """
        )
        self.con.execute("DROP TABLE typed")

    def _quarantine_bad_values(self) -> None:
        record = ", ".join(
            f"{_lit(original)}, src.{_ident(name)}"
            for original, name in zip(self.header.original, self.header.canonical, strict=True)
        )
        table = self.con.sql(
            f"""
            SELECT ?::VARCHAR AS table_name,
                   ?::VARCHAR AS source_file,
                   problems.__line AS source_line,
                   problems.problem.column_name AS column_name,
                   problems.problem.error_type AS error_type,
                   problems.problem.reason AS reason,
                   CAST(json_object({record}) AS VARCHAR) AS raw_record,
                   ?::TIMESTAMP AS _loaded_at,
                   ?::VARCHAR AS _dlt_load_id
            FROM (SELECT __line, unnest(__errors) AS problem FROM typed WHERE len(__errors) > 0)
                AS problems
            JOIN src ON src.__line = problems.__line
            ORDER BY source_line
            """,
            params=[self.spec.table, self.file.relative, self.loaded_at, self.load_id],
        ).to_arrow_table()
        if table.num_rows:
            self._quarantine.append(table.cast(QUARANTINE_SCHEMA))

    def quarantine(self) -> pa.Table:
        """Every problem found in the file, ordered by line (empty table when none)."""
        if not self._quarantine:
            return QUARANTINE_SCHEMA.empty_table()
        return pa.concat_tables(self._quarantine).sort_by("source_line")

    # 4. keep what is newer than raw ----------------------------------------------------------

    def keys(self) -> pa.Table:
        """The keys of the valid rows, to look up what raw already holds."""
        return self.con.sql(
            f"SELECT {_ident(self.spec.primary_key)} AS key FROM good"
        ).to_arrow_table()

    def batches(self, existing: pa.Table | None, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
        """The rows to merge: valid rows whose key raw lacks or holds at an older version.

        `existing` has columns key and version: raw's current version of the file's keys.
        """
        key = _ident(self.spec.primary_key)
        version = _ident(self.spec.version_column)
        if existing is None:
            existing = pa.table(
                {"key": pa.array([], pa.string()), "version": pa.array([], pa.timestamp("us"))}
            )
        self.con.register("existing", existing)
        contract = [_ident(name) for name in self.spec.columns]
        extras = [_ident(name) for name in self.extras]
        # Column order as dlt's schema has it (contract, metadata, load id, extras): a batch in
        # another order makes dlt rewrite the whole file while normalizing.
        reader = self.con.sql(
            f"""
            SELECT {", ".join(f"good.{column}" for column in contract)},
                   ?::TIMESTAMP AS _loaded_at,
                   ?::VARCHAR AS _source_file,
                   good.__line AS _source_line,
                   {row_hash_sql([f"good.{column}" for column in contract])} AS _row_hash,
                   ?::VARCHAR AS _dlt_load_id
                   {"".join(f", good.{column}" for column in extras)}
            FROM good
            LEFT JOIN existing ON existing.key = good.{key}
            WHERE existing.key IS NULL OR good.{version} > existing.version
            """,
            params=[self.loaded_at, self.file.relative, self.load_id],
        ).to_arrow_reader(rows_per_batch)
        schema = key_not_null(reader.schema, self.spec)
        load_id_at = schema.get_field_index("_dlt_load_id")
        schema = schema.set(load_id_at, schema.field(load_id_at).with_nullable(False))
        for batch in reader:
            if batch.num_rows:
                self.counts.rows_loaded += batch.num_rows
                yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)


def row_hash_sql(columns: list[str]) -> str:
    """md5 of the typed contract values in contract order, as text joined by the ASCII unit
    separator, NULL written as \\N. Typed, so a CSV and a Parquet export of the same record
    hash alike. For change detection, not security; 3x faster than hashing to_json (0.45 s
    against 1.5 s per 1M 26-column rows)."""
    values = ", ".join(f"coalesce(CAST({column} AS VARCHAR), '\\N')" for column in columns)
    return f"md5(concat_ws(chr(31), {values}))"


def keys_in_one_file_each(
    files: list[tuple[LandingFile, Header]],
    spec: ObjectSpec,
    database: duckdb.DuckDBPyConnection,
) -> bool:
    """Whether no primary key appears in more than one of `files`: a first load of a table
    may then append its rows instead of merging them (see source._load_table).

    Reads only the key column, one file at a time (50 gzipped CSVs scanned at once overran
    the reader's 256 MB), and compares 64-bit hashes of the keys: a collision only costs a
    merge. A CSV is parsed strictly, without the reject store: a file DuckDB cannot read
    cleanly (a malformed row, a stray quote, a damaged gzip) answers False, and the table
    merges as usual.
    """
    if len(files) < 2:
        return True
    con = database.cursor()
    try:
        con.execute("CREATE TEMP TABLE file_keys (key UBIGINT, file_number INTEGER)")
        for number, (file, header) in enumerate(files):
            column = _ident(header.original[header.canonical.index(spec.primary_key)])
            key = f"CAST({column} AS VARCHAR)"
            if file.format == "parquet":
                scan = "read_parquet(?)"
            else:
                columns = (
                    "{" + ", ".join(f"{_lit(name)}: 'VARCHAR'" for name in header.original) + "}"
                )
                compression = "gzip" if file.format == "csv.gz" else "none"
                scan = (
                    "read_csv(?, auto_detect = false, header = true, delim = ',', quote = '\"', "
                    "escape = '\"', strict_mode = true, encoding = 'utf-8', "
                    f"columns = {columns}, compression = '{compression}')"
                )
            con.execute(
                f"INSERT INTO file_keys SELECT DISTINCT hash({key}), {number} FROM {scan} "
                f"WHERE nullif(trim({key}), '') IS NOT NULL",
                [str(file.path)],
            )
        shared = con.execute(
            "SELECT count(*) FROM (SELECT key FROM file_keys GROUP BY key HAVING count(*) > 1)"
        ).fetchall()[0][0]
    except (duckdb.Error, OSError):
        return False
    finally:
        con.close()
    return shared == 0
