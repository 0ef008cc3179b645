"""What raw already holds, read from the warehouse the rows go to, with short-lived connections.

Three look-ups serve the ingestion: the file ledger (which files loaded, as what), whether a
raw table holds rows yet, and raw's current version of a file's keys (only strictly newer rows
are merged). `raw_lookups` returns them for the destination: `DuckDBRaw` (the warehouse file)
or `PostgresRaw` (schema raw of a PostgreSQL database), so a daily run on either engine reads
only new files and an older re-export never overwrites a newer row.

DuckDB: each look-up opens the file, reads, and closes: DuckDB allows one writing process per
file, and dlt opens its own connection to load once extraction ends. dlt extracts the tables
in parallel threads, and the look-ups take turns (one lock per process): connections to one
file in one process share a database instance, which the last close tears down, and a look-up
opening it meanwhile failed the second load at 1M leads ("Catalog Error: Table Function with
name python_arrow_scan does not exist!" from `register`). PostgreSQL: one connection per
look-up (a server takes many at once), closed before it returns.
"""

import functools
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg2
import pyarrow as pa

from revops.contract import ObjectSpec
from revops.ingest.locking import connect_when_free
from revops.ingest.tables import LEDGER_TABLE

DATASET = "raw"
_ONE_AT_A_TIME = threading.Lock()


def _taking_turns(function):
    """Run `function` (which opens and closes its own connection) with _ONE_AT_A_TIME held."""

    @functools.wraps(function)
    def taking_turns(*args, **kwargs):
        with _ONE_AT_A_TIME:
            return function(*args, **kwargs)

    return taking_turns


@dataclass(frozen=True)
class LedgerEntry:
    source_file: str
    file_size: int
    modified_at: datetime
    fingerprint: str


def _connect(duckdb_path: Path) -> duckdb.DuckDBPyConnection | None:
    """A connection to the warehouse file, or None when it does not exist yet. Call it with
    _ONE_AT_A_TIME held, and close the connection before releasing it."""
    if not duckdb_path.exists():
        return None
    # Another process may hold the file for a moment (a dbt step): wait, bounded, then say who.
    return connect_when_free(duckdb_path)


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [DATASET, table],
        ).fetchall()[0][0]
    )


@_taking_turns
def read_ledger(duckdb_path: Path, table: str) -> dict[str, LedgerEntry]:
    """The last committed ledger entry of every file of one raw table, by source_file.

    Committed means its dlt load finished: dlt writes the `_dlt_loads` row only after every
    job of the load package succeeded, so a crash between loading the ledger row and the data
    rows leaves the file unrecorded and the next run reads it again.
    """
    con = _connect(duckdb_path)
    if con is None:
        return {}
    try:
        if not (_has_table(con, LEDGER_TABLE) and _has_table(con, "_dlt_loads")):
            return {}
        rows = con.execute(
            f"""
            SELECT source_file, file_size, modified_at, fingerprint
            FROM {DATASET}.{LEDGER_TABLE} AS ledger
            WHERE table_name = ?
              AND _dlt_load_id IN (SELECT load_id FROM {DATASET}._dlt_loads WHERE status = 0)
            QUALIFY row_number() OVER (
                PARTITION BY source_file ORDER BY _loaded_at DESC, _dlt_load_id DESC) = 1
            """,
            [table],
        ).fetchall()
    finally:
        con.close()
    return {row[0]: LedgerEntry(*row) for row in rows}


@_taking_turns
def holds_rows(duckdb_path: Path, table: str) -> bool:
    """Whether raw already has rows in `table`. Raw does not change while dlt extracts (it
    loads afterwards), so one answer per table serves every file of a run: on a first load
    each file then skips its own look-up of existing versions (a connection to the warehouse
    per file, 1.7 s of a 100,000-lead ingestion)."""
    con = _connect(duckdb_path)
    if con is None:
        return False
    try:
        if not _has_table(con, table):
            return False
        return bool(con.execute(f'SELECT count(*) FROM {DATASET}."{table}"').fetchall()[0][0])
    finally:
        con.close()


@_taking_turns
def existing_versions(duckdb_path: Path, spec: ObjectSpec, keys: pa.Table) -> pa.Table | None:
    """raw's current version of each of `keys` (a table with one column, key), or None when
    raw has no such table yet. Columns: key, version."""
    if keys.num_rows == 0:
        return None
    con = _connect(duckdb_path)
    if con is None:
        return None
    try:
        if not _has_table(con, spec.table):
            return None
        con.register("incoming_keys", keys)
        return con.sql(
            f"""
            SELECT current_rows."{spec.primary_key}" AS key,
                   current_rows."{spec.version_column}" AS version
            FROM {DATASET}."{spec.table}" AS current_rows
            SEMI JOIN incoming_keys ON incoming_keys.key = current_rows."{spec.primary_key}"
            """
        ).to_arrow_table()
    finally:
        con.close()


@dataclass(frozen=True)
class DuckDBRaw:
    """Schema raw of the DuckDB warehouse file at `path` (which need not exist yet)."""

    path: Path

    def read_ledger(self, table: str) -> dict[str, LedgerEntry]:
        return read_ledger(self.path, table)

    def holds_rows(self, table: str) -> bool:
        return holds_rows(self.path, table)

    def existing_versions(self, spec: ObjectSpec, keys: pa.Table) -> pa.Table | None:
        return existing_versions(self.path, spec, keys)


@dataclass(frozen=True)
class PostgresRaw:
    """Schema raw of the PostgreSQL database at the connection string `url` (what dlt's
    postgres destination writes). Same answers as DuckDBRaw, in PostgreSQL's SQL: no QUALIFY
    or SEMI JOIN, so `distinct on` and `= any(array)`."""

    url: str

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """The rows of one statement, on a connection of its own, closed before it returns."""
        connection = psycopg2.connect(self.url, connect_timeout=10)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def _has_tables(self, *tables: str) -> bool:
        names = [f'{DATASET}."{table}"' for table in tables]
        (found,) = self.query(
            "select count(to_regclass(name)) from unnest(%s::text[]) as name", [names]
        )[0]
        return found == len(tables)

    def read_ledger(self, table: str) -> dict[str, LedgerEntry]:
        if not self._has_tables(LEDGER_TABLE, "_dlt_loads"):
            return {}
        rows = self.query(
            f"""
            select distinct on (source_file) source_file, file_size, modified_at, fingerprint
            from {DATASET}."{LEDGER_TABLE}"
            where table_name = %s
              and _dlt_load_id in (select load_id from {DATASET}._dlt_loads where status = 0)
            order by source_file, _loaded_at desc, _dlt_load_id desc
            """,
            [table],
        )
        return {row[0]: LedgerEntry(*row) for row in rows}

    def holds_rows(self, table: str) -> bool:
        if not self._has_tables(table):
            return False
        return bool(self.query(f'select exists (select 1 from {DATASET}."{table}")')[0][0])

    def existing_versions(self, spec: ObjectSpec, keys: pa.Table) -> pa.Table | None:
        if keys.num_rows == 0 or not self._has_tables(spec.table):
            return None
        rows = self.query(
            f"""
            select "{spec.primary_key}", "{spec.version_column}"
            from {DATASET}."{spec.table}"
            where "{spec.primary_key}" = any(%s::text[])
            """,
            [keys.column("key").to_pylist()],
        )
        return pa.table(
            {
                "key": pa.array([row[0] for row in rows], pa.string()),
                "version": pa.array([row[1] for row in rows], pa.timestamp("us")),
            }
        )


RawLookups = DuckDBRaw | PostgresRaw


def raw_lookups(duckdb_path: Path, postgres: str | None = None) -> RawLookups:
    """The look-ups for the destination of a run: PostgreSQL when `postgres` (a connection
    string) is given, else the DuckDB file."""
    return PostgresRaw(postgres) if postgres else DuckDBRaw(Path(duckdb_path))
