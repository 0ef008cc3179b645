"""Publish a read-only copy of the marts for BI tools, swapped in atomically.

DuckDB lets one process write a file and blocks every other process from opening it
meanwhile, so a dashboard pointed at the working warehouse fails for the whole run. The
pipeline instead copies the published schemas into a new file beside the BI copy and renames
it over the old one with `os.replace`, which is atomic on POSIX and Windows: a reader opens
either the previous complete copy or the new complete copy, never a half-written one, and a
reader that already has the old file open keeps reading it until it reconnects.
"""

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from revops import paths

# The schemas BI tools query: the marts and the shared definitions they are read with.
# `semantic` holds the semantic layer's tables when that project builds any.
PUBLISHED_SCHEMAS = ("marts", "definitions", "semantic")
PUBLISH_LOG_TABLE = "_published"
# Tables the incremental models keep beside themselves (<model>__gone, __changed, __<x>_read:
# macros/gone_keys_log.sql, incremental_changed_keys.sql) are bookkeeping, not marts. A mart's
# name has no double underscore (staging's stg_<source>__<entity> is not published).
HELPER_TABLE_MARK = "__"


def bi_path() -> Path:
    """The BI copy (REVOPS_BI_PATH, default warehouse/bi/revops_bi.duckdb next to the warehouse)."""
    default = paths.duckdb_path().parent / "bi" / "revops_bi.duckdb"
    return Path(os.environ.get("REVOPS_BI_PATH", default)).resolve()


@dataclass
class PublishResult:
    """What one publication wrote: tables with their row counts, where, and how long it took."""

    path: Path
    published_at: datetime
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class NothingToPublishError(RuntimeError):
    """The working warehouse has no marts: a build that never got that far."""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def publish(source: Path, target: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
            run_id: str | None = None) -> PublishResult:
    """Copy every table and view of `schemas` in `source` into a new DuckDB file (views become
    tables, so the copy needs nothing else), then atomically replace `target` with it.

    On any error the temporary file is removed and `target` is left exactly as it was.
    """
    started = time.perf_counter()
    if not source.exists():
        raise NothingToPublishError(f"{source} does not exist: nothing to publish")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    result = PublishResult(path=target, published_at=datetime.now(UTC).replace(tzinfo=None))
    try:
        with duckdb.connect(str(temporary)) as connection:
            quoted_source = str(source).replace("'", "''")
            connection.execute(f"attach '{quoted_source}' as working (read_only)")
            relations = connection.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'working' and table_schema in "
                f"({', '.join('?' for _ in schemas)}) and position(? in table_name) = 0 "
                "order by 1, 2",
                [*schemas, HELPER_TABLE_MARK],
            ).fetchall()
            if not any(schema == "marts" for schema, _ in relations):
                raise NothingToPublishError(f"{source} has no tables in schema marts: nothing to publish")
            for schema in sorted({schema for schema, _ in relations}):
                connection.execute(f"create schema {_quote(schema)}")
            for schema, table in relations:
                name = f"{_quote(schema)}.{_quote(table)}"
                connection.execute(f"create table {name} as select * from working.{name}")
                result.tables[f"{schema}.{table}"] = connection.execute(
                    f"select count(*) from {name}").fetchone()[0]
            connection.execute("detach working")
            connection.execute(
                f"create table main.{PUBLISH_LOG_TABLE} as select "
                "?::timestamp as published_at, ?::varchar as run_id, ?::varchar as source_path, "
                "?::integer as table_count",
                [result.published_at, run_id, str(source), len(result.tables)],
            )
            connection.execute("checkpoint")
        # Flush the new file to disk before the rename makes it the one readers open.
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    result.seconds = time.perf_counter() - started
    return result


def read_publication(target: Path) -> dict | None:
    """Return the `_published` row of a BI copy ({published_at, run_id, ...}), or None."""
    if not target.exists():
        return None
    with duckdb.connect(str(target), read_only=True) as connection:
        row = connection.execute(
            f"select published_at, run_id, source_path, table_count from main.{PUBLISH_LOG_TABLE}"
        ).fetchone()
    if row is None:
        return None
    return dict(zip(("published_at", "run_id", "source_path", "table_count"), row, strict=True))
