"""The dlt pipeline that writes schema raw, and the one-call ingestion used by the CLI."""

import fcntl
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import dlt

from revops.ingest.dlt_settings import PIPELINE_NAME, configure_dlt, pipelines_dir
from revops.ingest.locking import wait_until_free
from revops.ingest.recovery import clear_interrupted_load
from revops.ingest.report import IngestReport
from revops.ingest.source import build_source

DATASET_NAME = "raw"


def build_pipeline(duckdb_path: Path, postgres: str | None = None) -> dlt.Pipeline:
    """The pipeline `revops_landing`, dataset raw: DuckDB at `duckdb_path`, or the PostgreSQL
    database at the connection string `postgres` (dlt's working folder then still sits beside
    `duckdb_path`, which need not exist)."""
    configure_dlt()
    duckdb_path = Path(duckdb_path).resolve()
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    if postgres:
        destination = dlt.destinations.postgres(postgres)
    else:
        destination = dlt.destinations.duckdb(str(duckdb_path))
    working_dir = pipelines_dir(duckdb_path)
    working_dir.parent.mkdir(parents=True, exist_ok=True)
    # dlt creates a pipeline's working folder with exists_ok=False after checking that it
    # holds no state: two processes building the first pipeline of a warehouse at once (both
    # pytest-xdist workers importing the Dagster definitions) raced, and one failed with
    # FileExistsError. One builder at a time per warehouse.
    with open(working_dir.parent / f".{working_dir.name}.create.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return dlt.pipeline(
            pipeline_name=PIPELINE_NAME,
            pipelines_dir=str(working_dir),
            destination=destination,
            dataset_name=DATASET_NAME,
        )


def postgres_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The connection string of the `postgres` dbt target, from the same environment variables
    and defaults as profiles.yml (REVOPS_PG_HOST, _PORT, _USER, _PASSWORD, _DBNAME), read from
    `environ` (default: this process's environment). User and password are URL-quoted."""
    env = (os.environ if environ is None else environ).get
    return (
        f"postgresql://{quote(env('REVOPS_PG_USER', 'revops'), safe='')}:"
        f"{quote(env('REVOPS_PG_PASSWORD', 'revops'), safe='')}@"
        f"{env('REVOPS_PG_HOST', 'localhost')}:"
        f"{env('REVOPS_PG_PORT', '5432')}/{env('REVOPS_PG_DBNAME', 'revops')}"
    )


def run_ingestion(
    landing_dir: Path,
    duckdb_path: Path,
    tables: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    postgres: str | None = None,
) -> IngestReport:
    """Load new and changed landing files into raw and return what happened per table.

    Tables whose files break the contract (a missing required column) load nothing and are
    listed in `report.failed_tables`; the others load. Call `report.raise_for_errors()` to turn
    those into an exception. A failing dlt load raises.

    With `postgres` (a connection string, e.g. `postgres_url_from_env()`) the rows go to schema
    raw of that database instead, and the file ledger and the "only strictly newer versions"
    guard read that database too; `duckdb_path` then only places dlt's working folder beside
    it (the file need not exist).
    """
    started = time.perf_counter()
    if not postgres:
        # Before dlt starts: a locked file then fails with who holds it, not a stack trace.
        wait_until_free(duckdb_path, say=progress)
    report = IngestReport()
    source = build_source(
        landing_dir, duckdb_path, tables, report=report, progress=progress, postgres=postgres
    )
    pipeline = build_pipeline(duckdb_path, postgres)
    # Before the source reads the ledger: what a killed run left (its load package, staged
    # batches, ledger and quarantine rows of a load that never completed) goes first.
    clear_interrupted_load(pipeline, say=progress)
    load_info = pipeline.run(source)
    load_info.raise_on_failed_jobs()
    if postgres:
        # PostgreSQL plans joins with table statistics, and freshly loaded tables have none
        # until autovacuum gets to them: staging views over raw were then planned as nested
        # loops (see macros/refresh_planner_statistics.sql). ANALYZE samples 30,000 rows per
        # table, so it costs about the same at any scale.
        with pipeline.sql_client() as client:
            client.execute_sql("analyze")
    report.seconds = time.perf_counter() - started
    return report
