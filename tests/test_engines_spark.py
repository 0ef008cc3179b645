"""The same dbt project on DuckDB and on Apache Spark (dbt-spark's session method, PySpark in
local mode), from the same generated data.

~500 demo leads are generated, ingested by the real dlt pipeline into a DuckDB file, and the
raw tables are copied into Spark by revops.engines.spark (DuckDB -> Parquet -> `raw.<table>`).
Seeds and every model are built on both engines (`dbt build` without data and unit tests: on
Spark those take minutes, see docs/engines.md). Raw tables, seeds and every mart must then
agree: the same columns, row count, key values, numeric totals to the cent, true-counts of
booleans, distinct counts of text and the range of every date and timestamp.

The Spark metastore (embedded Derby) and the table files live under pytest's tmp_path; the
metastore takes one process at a time, so the loader and dbt run as child processes one after
the other and this process opens Spark only when they are done.
"""

import csv
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fixtures.engine_comparison import (
    SPARK,
    DbtRun,
    Query,
    column_kind,
    duckdb_columns,
    mart_keys,
    mart_profile,
    profile_differences,
    run_dbt,
)

from revops.engines.spark import raw_tables, spark_session, spark_target_settings
from revops.generate import generate
from revops.ingest import run_ingestion
from revops.paths import PROJECT_DIR, SEEDS_DIR

LEADS = 500
SEED = 7
# Seeds and models only: Spark runs each of the ~320 data tests as a job of its own, ~9 minutes
# in all here (docs/engines.md, where the whole `dbt build --target spark` passed). The
# PostgreSQL test runs them, and the marts they check are compared here value for value.
BUILD = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


@dataclass(frozen=True)
class Builds:
    duckdb_path: Path
    duckdb_dir: Path
    duckdb_build: DbtRun
    spark_env: dict[str, str]
    spark_build: DbtRun
    loader_output: str
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    work_dir = tmp_path_factory.mktemp("spark_engine")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    landing = work_dir / "landing"
    generate(landing, leads=LEADS, seed=SEED)
    duckdb_path = work_dir / "revops.duckdb"
    run_ingestion(landing, duckdb_path).raise_for_errors()
    seconds["generate and ingest"] = time.perf_counter() - started

    # The loader reads a copy of the raw warehouse, so it can fill Spark while dbt builds on
    # DuckDB (DuckDB takes one writer per file, and a reader waits for it): ~20 s saved.
    raw_copy = work_dir / "raw-for-spark.duckdb"
    shutil.copyfile(duckdb_path, raw_copy)
    spark_env = {"REVOPS_SPARK_DIR": str(work_dir / "spark")}
    # Output to files, not pipes: Spark's log could fill a pipe nobody reads while dbt runs.
    loader_out, loader_err = work_dir / "loader.out", work_dir / "loader.err"
    started = time.perf_counter()
    with loader_out.open("w") as out, loader_err.open("w") as err:
        loader = subprocess.Popen(
            [sys.executable, "-m", "revops.engines.spark", "--duckdb", str(raw_copy)],
            env={**os.environ, **spark_env},
            cwd=PROJECT_DIR,
            stdout=out,
            stderr=err,
        )
        duckdb_dir = work_dir / "duckdb"
        duckdb_build = run_dbt(
            BUILD, "duckdb", {"REVOPS_DUCKDB_PATH": str(duckdb_path)}, duckdb_dir
        )
        seconds["dbt on duckdb"] = time.perf_counter() - started
        loader.wait()
    assert loader.returncode == 0, loader_err.read_text()[-3000:]
    loader_output = loader_out.read_text()
    seconds["raw to spark (beside dbt on duckdb)"] = time.perf_counter() - started

    started = time.perf_counter()
    spark_build = run_dbt(BUILD, "spark", spark_env, work_dir / "spark_dbt")
    seconds["dbt on spark"] = time.perf_counter() - started
    print(seconds)  # shown with -s or in the report of a failure: the budget is 5 minutes
    return Builds(
        duckdb_path, duckdb_dir, duckdb_build, spark_env, spark_build, loader_output, seconds
    )


@pytest.fixture(scope="module")
def spark(builds: Builds) -> Iterator[Any]:
    """A Spark session on the metastore dbt built, opened after every child process ended."""
    with spark_session(spark_target_settings({**os.environ, **builds.spark_env})) as session:
        session.sparkContext.setLogLevel("ERROR")
        yield session


def spark_query(session: Any) -> Query:
    return lambda sql: [tuple(row) for row in session.sql(sql).collect()]


def spark_column_kinds(session: Any, schema: str, table: str) -> dict[str, str]:
    return {
        field.name: column_kind(field.dataType.simpleString())
        for field in session.table(f"{schema}.{table}").schema.fields
    }


def compare_schema(
    session: Any, database: Path, schema: str, keys: dict[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, dict]]:
    """Differences per table of `schema` between DuckDB and Spark: column names and kinds, and
    the profile of each table (keys[table] are compared value by value); and DuckDB's profile
    of each table."""
    tables = duckdb_columns(database, schema)
    differences: dict[str, list[str]] = {}
    profiles: dict[str, dict] = {}
    with duckdb.connect(str(database), read_only=True) as duck:
        for table, columns in sorted(tables.items()):
            if not session.catalog.tableExists(f"{schema}.{table}"):
                differences[table] = ["missing on Spark"]
                continue
            kinds = spark_column_kinds(session, schema, table)
            found = [
                f"{column}: {columns.get(column)} on DuckDB, {kinds.get(column)} on Spark"
                for column in sorted(columns.keys() | kinds.keys())
                if columns.get(column) != kinds.get(column)
            ]
            table_keys = keys.get(table, [])
            expected = profiles[table] = mart_profile(
                lambda sql: duck.execute(sql).fetchall(), table, columns, table_keys, schema=schema
            )
            actual = mart_profile(
                spark_query(session), table, columns, table_keys, dialect=SPARK, schema=schema
            )
            found += profile_differences(expected, actual)
            if found:
                differences[table] = found
    return differences, profiles


# ---- the tests -----------------------------------------------------------------------------


def test_every_seed_and_every_model_builds_on_spark_as_on_duckdb(builds: Builds) -> None:
    assert builds.duckdb_build.success, builds.duckdb_build.failures()
    assert builds.spark_build.success, builds.spark_build.failures()
    assert builds.spark_build.passed() == builds.duckdb_build.passed()
    built = {unique_id.split(".")[-1] for unique_id in builds.spark_build.passed()}
    assert {"fct_attribution", "metrics_funnel", "alignment_health", "def_routing_rules"} <= built


def test_the_raw_tables_reach_spark_with_the_same_rows_types_and_utc_timestamps(
    builds: Builds, spark: Any
) -> None:
    tables = raw_tables(builds.duckdb_path)
    assert {"crm_lead", "crm_opportunity", "map_activity"} <= set(tables)
    # The ingestion gives every raw row `_row_hash`, a hash of its values: comparing them all
    # compares every row. Timestamps are compared as printed (min/max), so a shift by the
    # session's time zone would show as a difference.
    differences, _ = compare_schema(
        spark, builds.duckdb_path, "raw", {table: ["_row_hash"] for table in tables}
    )
    assert not {table: found for table, found in differences.items() if table in tables}
    # The loader reports each table it copied: every raw table, nothing else.
    reported = {
        line.split(":")[0].removeprefix("raw.")
        for line in builds.loader_output.splitlines()
        if line.startswith("raw.")
    }
    assert reported == set(tables)


def table_rows(query: Query, schema: str, table: str, columns: list[str], quote: str) -> list:
    """Every row of a small table as sorted tuples of printed values (None stays None)."""
    listed = ", ".join(f"{quote}{column}{quote}" for column in columns)
    rows = [
        tuple(None if value is None else str(value) for value in row)
        for row in query(f"select {listed} from {schema}.{table}")
    ]
    return sorted(rows, key=lambda row: tuple((value is None, value or "") for value in row))


def test_every_seed_loads_on_spark_with_every_value_intact_even_apostrophes(
    builds: Builds, spark: Any
) -> None:
    seeds = duckdb_columns(builds.duckdb_path, "definitions")
    assert len(seeds) == len(list(SEEDS_DIR.rglob("*.csv")))
    # Seeds are small: every value is compared, which catches a quote kept as `\'`, an empty
    # cell loaded as the text 'None' or a type cast that moved a value.
    differences = {}
    with duckdb.connect(str(builds.duckdb_path), read_only=True) as duck:
        for seed, columns in sorted(seeds.items()):
            names = sorted(columns)
            kinds = spark_column_kinds(spark, "definitions", seed)
            expected = table_rows(
                lambda sql: duck.execute(sql).fetchall(), "definitions", seed, names, '"'
            )
            actual = table_rows(spark_query(spark), "definitions", seed, names, "`")
            if kinds != columns or expected != actual:
                differences[seed] = {"kinds": [columns, kinds], "rows": [expected, actual]}
    assert not differences, differences
    with (SEEDS_DIR / "definitions" / "def_routing_rules.csv").open(newline="") as file:
        in_csv = sorted(row["definition"] for row in csv.DictReader(file))
    on_spark = sorted(
        row[0]
        for row in spark.sql("select definition from definitions.def_routing_rules").collect()
    )
    assert on_spark == in_csv
    assert any("account's territory" in text for text in on_spark)


def test_every_mart_has_the_same_rows_keys_and_totals_on_spark_as_on_duckdb(
    builds: Builds, spark: Any
) -> None:
    keys = mart_keys(builds.duckdb_dir / "target" / "manifest.json")
    tables = duckdb_columns(builds.duckdb_path)
    marts = sorted(set(keys) & set(tables))
    assert {"fct_opportunities", "fct_attribution", "metrics_funnel", "dim_people"} <= set(marts)
    assert all(keys[mart] for mart in marts), {mart: keys[mart] for mart in marts}

    differences, profiles = compare_schema(spark, builds.duckdb_path, "marts", keys)
    assert not differences, differences
    assert set(profiles) == set(tables)
    # The comparison compares something: real rows, money and keys (the row counts are the
    # same on Spark, or a difference was reported above).
    with_rows = {mart for mart, profile in profiles.items() if profile["rows"] > 0}
    assert {"fct_opportunities", "fct_attribution", "fct_touchpoints"} <= with_rows


def test_the_spark_settings_follow_the_environment_like_dbt_renders_them(tmp_path: Path) -> None:
    settings = spark_target_settings({"REVOPS_SPARK_DIR": str(tmp_path)})
    assert settings["spark.sql.warehouse.dir"] == f"{tmp_path}/tables"
    assert (
        f"databaseName={tmp_path}/metastore_db"
        in settings["spark.hadoop.javax.jdo.option.ConnectionURL"]
    )
    assert settings["spark.sql.session.timeZone"] == "UTC"
    assert spark_target_settings({})["spark.master"] == "local[2]"
    assert spark_target_settings({"REVOPS_SPARK_MASTER": "local[1]"})["spark.master"] == "local[1]"
