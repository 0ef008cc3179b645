"""Copy schema `raw` from a DuckDB warehouse into Spark tables `raw.<table>`, through Parquet.

dlt has no local Spark destination, so the Spark build starts from the tables the DuckDB
ingestion wrote: each raw table is written to a Parquet file by DuckDB and saved by PySpark as
the table `raw.<table>` in the metastore and warehouse directory of the `spark` dbt target.
The Spark settings are read from that target in profiles.yml (its `env_var()` calls rendered
with the same defaults dbt uses), so the loader and dbt open the same Derby metastore.

The Derby metastore takes one process at a time: run this before dbt, in its own process:

    python -m revops.engines.spark --duckdb warehouse/revops.duckdb

Types: DuckDB writes its naive TIMESTAMP columns (UTC by the landing contract) as Parquet
timestamps without a time zone, which Spark 4 reads as TIMESTAMP_NTZ; they are cast to
Spark's TIMESTAMP in a UTC session, so the instant and the printed value stay the same and the
models compare them with the TIMESTAMP columns of the seeds and the date functions.
"""

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml

from revops.paths import PROJECT_DIR, duckdb_path

PROFILES_PATH = PROJECT_DIR / "profiles.yml"
RAW_SCHEMA = "raw"
# Load bookkeeping (dlt's tables, the file ledger `_ingested_files`, `_quarantine`) is read by
# no model; Spark also treats paths that start with "_" as hidden files.
SKIPPED_PREFIX = "_"


def spark_target_settings(
    environ: Mapping[str, str] | None = None, profiles_path: Path = PROFILES_PATH
) -> dict[str, str]:
    """The Spark session settings of the `spark` target (its `server_side_parameters`), with
    each `env_var('NAME', 'default')` rendered from `environ` (default: this process's
    environment) as dbt renders it; raises KeyError naming the file when the target or the
    settings are missing."""
    environ = os.environ if environ is None else environ
    profiles = yaml.safe_load(profiles_path.read_text())
    try:
        parameters = profiles["revops"]["outputs"]["spark"]["server_side_parameters"]
    except (KeyError, TypeError) as missing:
        raise KeyError(
            f"{profiles_path}: no revops.outputs.spark.server_side_parameters"
        ) from missing

    def env_var(name: str, default: str | None = None) -> str:
        value = environ.get(name, default)
        if value is None:
            raise KeyError(f"{profiles_path}: env_var({name!r}) is not set and has no default")
        return value

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {
        name: environment.from_string(str(value)).render(env_var=env_var)
        for name, value in parameters.items()
    }


@contextmanager
def spark_session(settings: dict[str, str] | None = None) -> Iterator[Any]:
    """A Hive-enabled SparkSession configured like the `spark` dbt target; stopped on exit,
    so the embedded Derby metastore is free for the next process (dbt)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("revops-raw-loader").enableHiveSupport()
    for name, value in (settings or spark_target_settings()).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()


def raw_tables(database: Path) -> list[str]:
    """The tables of schema `raw` in a DuckDB file, without the load bookkeeping tables."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [RAW_SCHEMA],
        ).fetchall()
    return [name for (name,) in rows if not name.startswith(SKIPPED_PREFIX)]


def export_parquet(database: Path, tables: list[str], folder: Path) -> dict[str, int]:
    """Each raw table written by DuckDB to `<folder>/<table>.parquet`; returns the row count
    of each."""
    rows = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        for table in tables:
            path = folder / f"{table}.parquet"
            connection.execute(f"copy {RAW_SCHEMA}.\"{table}\" to '{path}' (format parquet)")
            (rows[table],) = connection.execute(
                f'select count(*) from {RAW_SCHEMA}."{table}"'
            ).fetchone()
    return rows


@dataclass(frozen=True)
class CopiedTable:
    """One raw table as written to Spark: its name, row count and Spark column types."""

    table: str
    rows: int
    columns: dict[str, str]


def load_parquet_into_spark(
    session: Any, files: dict[str, Path], rows: dict[str, int]
) -> list[CopiedTable]:
    """Replace each table `raw.<table>` with the rows of its Parquet file; TIMESTAMP_NTZ
    columns become TIMESTAMP (the session runs in UTC, so the values do not move). Returns
    what was written, with the row counts DuckDB reported (a count per table would cost Spark
    a job each; tests/test_engines_spark.py compares both sides)."""
    from pyspark.sql import functions
    from pyspark.sql.types import TimestampNTZType

    session.sql(f"create database if not exists {RAW_SCHEMA}")
    copied = []
    for table, path in files.items():
        frame = session.read.parquet(str(path))
        frame = frame.select(
            *(
                functions.col(field.name).cast("timestamp").alias(field.name)
                if isinstance(field.dataType, TimestampNTZType)
                else functions.col(field.name)
                for field in frame.schema.fields
            )
        )
        # Parquet, not Hive text: types survive and the models read columns, not lines.
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"{RAW_SCHEMA}.{table}")
        columns = {field.name: field.dataType.simpleString() for field in frame.schema.fields}
        copied.append(CopiedTable(table, rows[table], columns))
    return copied


def copy_raw_to_spark(
    database: Path, settings: dict[str, str] | None = None, tables: list[str] | None = None
) -> list[CopiedTable]:
    """Copy the raw tables of a DuckDB warehouse (all but the load bookkeeping, unless `tables`
    names them) into Spark `raw.<table>` under the `spark` target's settings; returns what
    landed."""
    names = tables if tables is not None else raw_tables(database)
    if not names:
        raise ValueError(f"{database}: schema {RAW_SCHEMA} holds no tables to copy")
    folder = Path(tempfile.mkdtemp(prefix="revops-raw-parquet-"))
    try:
        rows = export_parquet(database, names, folder)
        files = {table: folder / f"{table}.parquet" for table in names}
        with spark_session(settings) as session:
            return load_parquet_into_spark(session, files, rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=duckdb_path(),
        help="DuckDB warehouse holding schema raw (default: REVOPS_DUCKDB_PATH)",
    )
    arguments = parser.parse_args(argv)
    database = arguments.duckdb.resolve()
    # dbt resolves the profile's relative paths (the default REVOPS_SPARK_DIR) from the
    # project directory; so does the loader, or the two would open different metastores.
    os.chdir(PROJECT_DIR)
    started = time.perf_counter()
    copied = copy_raw_to_spark(database)
    for table in copied:
        print(f"raw.{table.table}: {table.rows} rows, {len(table.columns)} columns")
    print(f"{len(copied)} tables copied in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
