"""Clearing what a killed ingestion left behind, before the next run reads anything.

A run killed while dlt loads (SIGKILL, a lost container) leaves, measured on 600 demo leads
killed after the first merge had committed: its load package on disk (normalized, half
loaded), `raw_staging` holding the batches of every table (33,000 rows), and rows in the
append tables `_ingested_files` and `_quarantine` whose `_dlt_load_id` never reached
`raw._dlt_loads`. The raw tables themselves are consistent: each merge commits on its own, and
the files of the killed load are read again because their ledger rows do not count.

`clear_interrupted_load` aborts the package (dlt records it as aborted, it is never retried),
deletes the append-table rows of loads that did not complete (so the re-read adds each
quarantined row once, and the ledger only holds files whose load completed) and empties every
table of the staging dataset. A table whose first load appended instead (each key in one
file, see source._load_table) and holds only rows of the interrupted load is emptied too:
dlt commits such a load file by file. It is a no-op after a clean run.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import dlt

from revops.ingest.tables import LEDGER_TABLE, QUARANTINE_TABLE

# Tables appended to (never merged): a load that did not complete must not leave rows there.
APPEND_TABLES = (LEDGER_TABLE, QUARANTINE_TABLE)


@dataclass
class Leftovers:
    """What a previous, interrupted run had left and this run removed."""

    aborted_packages: list[str] = field(default_factory=list)
    append_rows_deleted: dict[str, int] = field(default_factory=dict)
    staging_rows_deleted: dict[str, int] = field(default_factory=dict)
    first_load_rows_deleted: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.aborted_packages
            or any(self.append_rows_deleted.values())
            or any(self.staging_rows_deleted.values())
            or any(self.first_load_rows_deleted.values())
        )

    def __str__(self) -> str:
        parts = []
        if self.aborted_packages:
            parts.append(f"aborted load package(s) {', '.join(self.aborted_packages)}")
        for table, rows in self.append_rows_deleted.items():
            if rows:
                parts.append(f"{rows:,} row(s) of raw.{table} from loads that never completed")
        for table, rows in self.first_load_rows_deleted.items():
            parts.append(f"{rows:,} row(s) of raw.{table} appended by a first load that never completed")
        staged = sum(self.staging_rows_deleted.values())
        if staged:
            parts.append(f"{staged:,} staged row(s) in the staging dataset")
        return "; ".join(parts) or "nothing"


def _tables(client, schema: str) -> list[str]:
    rows = client.execute_sql(
        "select table_name from information_schema.tables where table_schema = %s", schema
    )
    return sorted(row[0] for row in rows)


def _clear_interrupted_first_loads(client, tables: list[str], completed: str, leftovers) -> None:
    """Empty the raw tables that hold rows of an interrupted load and of no completed one.

    A first load appends a table whose keys each sit in one file (source._load_table), and
    dlt commits each of its files on its own, so a kill can leave part of them. A merged
    table's rows of an interrupted load stay: its merge committed whole, and it held rows of
    completed loads before. A first load's files are not in the committed ledger, so the next
    run reads them all again."""
    for table in tables:
        if table.startswith("_dlt") or table in APPEND_TABLES:
            continue
        qualified = client.make_qualified_table_name(table)
        interrupted, kept = client.execute_sql(
            f"select sum(case when _dlt_load_id in ({completed}) then 0 else 1 end), "
            f"sum(case when _dlt_load_id in ({completed}) then 1 else 0 end) from {qualified}"
        )[0]
        if interrupted and not kept:
            client.execute_sql(f"delete from {qualified}")
            leftovers.first_load_rows_deleted[table] = interrupted


def clear_interrupted_load(
    pipeline: dlt.Pipeline, say: Callable[[str], None] | None = None
) -> Leftovers:
    """Remove what an interrupted run of `pipeline` left (see the module docstring) and return
    what was removed. Works on DuckDB and PostgreSQL (dlt's SQL client, standard SQL)."""
    leftovers = Leftovers()
    pending = [
        *pipeline.list_extracted_load_packages(),
        *pipeline.list_normalized_load_packages(),
    ]
    if pending:
        # A package left by a crashed run is dropped, not retried: its files are not in the
        # committed ledger, so this run reads them again, and the merge makes that harmless.
        pipeline.abort_packages()
        leftovers.aborted_packages = sorted(pending)

    with pipeline.sql_client() as client:
        if client.has_dataset():
            dataset = client.dataset_name
            tables = _tables(client, dataset)
            if "_dlt_loads" in tables:
                completed = (
                    f"select load_id from {client.make_qualified_table_name('_dlt_loads')} "
                    "where status = 0"
                )
                for table in APPEND_TABLES:
                    if table not in tables:
                        continue
                    qualified = client.make_qualified_table_name(table)
                    orphaned = f"{qualified} where _dlt_load_id not in ({completed})"
                    rows = client.execute_sql(f"select count(*) from {orphaned}")[0][0]
                    if rows:
                        client.execute_sql(f"delete from {orphaned}")
                    leftovers.append_rows_deleted[table] = rows
                if pending:
                    _clear_interrupted_first_loads(client, tables, completed, leftovers)
        with client.with_staging_dataset():
            if client.has_dataset():
                for table in _tables(client, client.dataset_name):
                    if table.startswith("_dlt"):
                        continue  # dlt's own bookkeeping (its schema version), not a batch
                    qualified = client.make_qualified_table_name(table)
                    rows = client.execute_sql(f"select count(*) from {qualified}")[0][0]
                    if rows:
                        client.execute_sql(f"delete from {qualified}")
                    leftovers.staging_rows_deleted[table] = rows
    if leftovers and say:
        say(f"an earlier run was interrupted; removed what it left: {leftovers}")
    return leftovers
