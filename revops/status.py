"""`revops status`: what was loaded when, how many rows each mart holds, the last checks.

Reads the file ledger (raw._ingested_files), the warehouse and the last run's summary
(warehouse/last_run.json, written by `revops run`). While a run holds the warehouse's write
lock the file cannot be opened, so row counts then come from the published BI copy, and the
output says so.
"""

import json
import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from revops import paths
from revops.publish import bi_path, read_publication


def last_run_path() -> Path:
    """Where `revops run` records its last run (beside the warehouse file)."""
    return paths.duckdb_path().parent / "last_run.json"


def write_last_run(summary: dict) -> Path:
    """Write the last run's summary atomically (a reader never sees half a file); return the path."""
    target = last_run_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(summary, indent=2, default=str))
    os.replace(temporary, target)
    return target


def _ledger(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    """One row per completed load: when, tables, files, rows loaded, rows quarantined."""
    has_ledger = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name in ('_ingested_files', '_dlt_loads')"
    ).fetchone()[0] == 2
    if not has_ledger:
        return []
    return connection.execute(
        """
        select
            min(ledger._loaded_at) as loaded_at,
            count(distinct ledger.table_name) as tables,
            count(*) as files,
            sum(ledger.rows_loaded) as rows_loaded,
            sum(ledger.rows_quarantined) as rows_quarantined
        from raw._ingested_files as ledger
        inner join raw._dlt_loads as loads
            on ledger._dlt_load_id = loads.load_id and loads.status = 0
        group by ledger._dlt_load_id
        order by loaded_at desc
        limit 10
        """
    ).fetchall()


def _row_counts(connection: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, int]:
    relations = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('raw', 'marts') and table_name not like '\\_%' escape '\\' "
        "order by 1, 2"
    ).fetchall()
    return {
        f"{schema}.{table}": connection.execute(
            f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        for schema, table in relations
    }


def collect_status() -> dict:
    """Return the status as plain data: loads, row counts (and where they came from), last run,
    last BI publication."""
    status: dict = {"warehouse": str(paths.duckdb_path()), "loads": [], "row_counts": {},
                    "row_counts_from": None, "last_run": None, "publication": None}
    if last_run_path().exists():
        status["last_run"] = json.loads(last_run_path().read_text())
    database = paths.duckdb_path()
    if database.exists():
        try:
            with duckdb.connect(str(database), read_only=True) as connection:
                status["loads"] = _ledger(connection)
                status["row_counts"] = _row_counts(connection)
                status["row_counts_from"] = "warehouse"
        except duckdb.IOException:
            status["row_counts_from"] = "locked"  # a run holds the write lock
    if bi_path().exists():
        status["publication"] = read_publication(bi_path())
        if status["row_counts_from"] != "warehouse":
            with duckdb.connect(str(bi_path()), read_only=True) as connection:
                status["row_counts"] = _row_counts(connection)
                status["row_counts_from"] = "bi copy (warehouse locked by a running run)"
    return status


def print_status(say: Callable[[str], None] = print) -> int:
    """Print the status; return 0 (the command reports, it does not judge)."""
    status = collect_status()
    say(f"warehouse: {status['warehouse']}")
    say("loads (newest first):")
    if not status["loads"]:
        say("  none recorded in raw._ingested_files")
    for loaded_at, tables, files, rows, quarantined in status["loads"]:
        say(f"  {loaded_at:%Y-%m-%d %H:%M:%S} UTC  {files:>4} files, {tables:>2} tables, "
            f"{rows or 0:>10,} rows loaded, {quarantined or 0:>6,} quarantined")
    say(f"row counts ({status['row_counts_from'] or 'no warehouse yet'}):")
    for relation, rows in status["row_counts"].items():
        say(f"  {relation:<45} {rows:>12,}")
    run = status["last_run"]
    if run is None:
        say("last run: none recorded (revops run writes warehouse/last_run.json)")
    else:
        outcome = "succeeded" if run["success"] else "FAILED"
        failed = [check for check in run["checks"] if not check["passed"]]
        say(f"last run: {outcome} at {run['finished_at']} ({run['seconds']:.0f}s, "
            f"selection: {run['selection'] or 'everything'})")
        say(f"  checks: {len(run['checks']) - len(failed)} passed, {len(failed)} failed")
        for check in failed:
            say(f"    FAILED {check['asset']}: {check['check']} ({check['severity']})")
        for step in run.get("failed_steps", []):
            say(f"    step failed: {step}")
    publication = status["publication"]
    if publication is None:
        say(f"BI copy: not published yet ({bi_path()})")
    else:
        say(f"BI copy: {bi_path()} published {publication['published_at']:%Y-%m-%d %H:%M:%S} "
            f"UTC, {publication['table_count']} tables")
    return 0
