"""The same dbt project on DuckDB and on a real PostgreSQL server, from the same generated data.

~1,000 demo leads are generated once, ingested by the real dlt pipeline into a DuckDB file and
into a throw-away PostgreSQL database, and `dbt build` (seeds, every model, unit and data
tests) runs on both. Every mart must then agree: the same columns, row count, key values,
numeric totals to the cent, true-counts of booleans, distinct counts of text and the range of
every date. The GX suites must find the same on both.

The PostgreSQL server comes from scripts/postgres.sh (installs the `postgresql` package if
missing, starts a cluster on localhost, creates role and database; idempotent), so `make test`
alone works on a fresh machine where the script may use apt.
"""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fixtures.engine_comparison import (
    DbtRun,
    duckdb_columns,
    mart_keys,
    mart_profile,
    profile_differences,
    run_dbt,
)
from fixtures.postgres import new_postgres_database, pg_connect

from revops.generate import generate
from revops.ingest import postgres_url_from_env, run_ingestion
from revops.paths import PROJECT_DIR

LEADS = 1_000
SEED = 7
# ---- the two warehouses --------------------------------------------------------------------


@dataclass(frozen=True)
class Builds:
    landing: Path
    duckdb_path: Path
    duckdb_dir: Path
    duckdb_build: DbtRun
    pg_env: dict[str, str]
    postgres_dir: Path
    postgres_build: DbtRun


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[dict[str, str]]:
    with new_postgres_database() as env:
        yield env


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, postgres_database: dict[str, str]) -> Builds:
    work_dir = tmp_path_factory.mktemp("engines")
    landing = work_dir / "landing"
    generate(landing, leads=LEADS, seed=SEED)

    duckdb_path = work_dir / "revops.duckdb"
    run_ingestion(landing, duckdb_path).raise_for_errors()
    duckdb_dir = work_dir / "duckdb"
    duckdb_build = run_dbt(
        ["build"], "duckdb", {"REVOPS_DUCKDB_PATH": str(duckdb_path)}, duckdb_dir
    )

    # The DuckDB path only places dlt's working folder (it is never created): the ledger and
    # the version guard read PostgreSQL (see run_ingestion).
    run_ingestion(
        landing, work_dir / "postgres-state.duckdb", postgres=postgres_url_from_env(postgres_database)
    ).raise_for_errors()
    postgres_dir = work_dir / "postgres"
    postgres_build = run_dbt(["build"], "postgres", postgres_database, postgres_dir)
    return Builds(
        landing,
        duckdb_path,
        duckdb_dir,
        duckdb_build,
        postgres_database,
        postgres_dir,
        postgres_build,
    )


# ---- the tests -----------------------------------------------------------------------------


def test_every_model_and_every_dbt_test_passes_on_duckdb_and_on_postgres(builds: Builds) -> None:
    assert builds.duckdb_build.success, builds.duckdb_build.failures()
    assert builds.postgres_build.success, builds.postgres_build.failures()
    assert builds.duckdb_build.passed() == builds.postgres_build.passed()
    assert any(unique_id.startswith("unit_test.") for unique_id in builds.postgres_build.passed())


def _parse_messages(output: str) -> list[str]:
    """What dbt printed while parsing: the lines between the adapter's registration and the
    "Found N models, ..." summary (ANSI colours and timestamps stripped), less the notice that
    a new target folder has no partial-parse state."""
    lines = [
        re.sub(r"^\d\d:\d\d:\d\d\s*", "", re.sub(r"\x1b\[[0-9;]*m", "", line).strip())
        for line in output.splitlines()
    ]
    start = next(i for i, line in enumerate(lines) if line.startswith("Registered adapter"))
    end = next(i for i, line in enumerate(lines) if re.match(r"Found \d+ models", line))
    return [
        line for line in lines[start + 1 : end]
        if line and not line.startswith("Unable to do partial parsing")
    ]


def test_a_full_parse_prints_no_warning_on_either_engine(builds: Builds) -> None:
    # Both builds parse from scratch (a new target folder). A warning there is printed on
    # every parse of every run: dbt 1.11 warned that test_no_email_shaped_values' documented
    # arguments did not match its definition while the test sat under data-tests/generic/
    # (its parser there does not read a test's arguments; the macro parser does).
    for build in (builds.duckdb_build, builds.postgres_build):
        assert "Registered adapter" in build.output and "Found " in build.output
        assert _parse_messages(build.output) == []


def test_every_mart_has_the_same_rows_keys_and_totals_on_postgres_as_on_duckdb(
    builds: Builds,
) -> None:
    keys = mart_keys(builds.duckdb_dir / "target" / "manifest.json")
    tables = duckdb_columns(builds.duckdb_path)
    marts = sorted(set(keys) & set(tables))
    assert {"fct_opportunities", "fct_attribution", "metrics_funnel", "dim_people"} <= set(marts)

    with duckdb.connect(str(builds.duckdb_path)) as duck:
        expected = {
            mart: mart_profile(
                lambda sql: duck.execute(sql).fetchall(), mart, tables[mart], keys[mart]
            )
            for mart in marts
        }
    postgres = pg_connect(builds.pg_env, builds.pg_env["REVOPS_PG_DBNAME"])
    try:
        with postgres.cursor() as cursor:

            def pg_query(sql: str) -> list[tuple]:
                cursor.execute(sql)
                return cursor.fetchall()

            cursor.execute(
                "select table_name, column_name from information_schema.columns "
                "where table_schema = 'marts'"
            )
            pg_tables: dict[str, set[str]] = {}
            for table, column in cursor.fetchall():
                pg_tables.setdefault(table, set()).add(column)
            actual = {
                mart: mart_profile(pg_query, mart, tables[mart], keys[mart])
                for mart in marts
                if mart in pg_tables
            }
    finally:
        postgres.close()

    assert {mart: set(tables[mart]) for mart in marts} == {
        mart: pg_tables.get(mart, set()) for mart in marts
    }
    differences = {
        mart: found
        for mart in marts
        if (found := profile_differences(expected[mart], actual[mart]))
    }
    assert not differences, json.dumps(differences, indent=1)
    # The comparison compares something: real rows, money and keys.
    assert expected["fct_opportunities"]["rows"] > 50
    assert all(keys[mart] for mart in marts), {mart: keys[mart] for mart in marts}


SUITE_SUMMARY = """
import json, pathlib, sys
from expectations.run import run_suites
where = sys.argv[1]
run = run_suites(where if where.startswith("postgresql://") else pathlib.Path(where))
print(json.dumps({o.name: [o.status, o.unexpected_count, o.scope_count] for o in run.outcomes}))
"""


def suite_summary(where: str) -> dict[str, list]:
    """Every GX expectation's status, unexpected count and scope count on a DuckDB file or a
    PostgreSQL URL. In a child process: GX's read-only DuckDB connection cannot open a file
    this process (dbt) already has open with another configuration."""
    done = subprocess.run(
        [sys.executable, "-c", SUITE_SUMMARY, where],
        check=False,
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_quality_expectation_finds_the_same_on_postgres_as_on_duckdb(
    builds: Builds,
) -> None:
    on_duckdb = suite_summary(str(builds.duckdb_path))
    on_postgres = suite_summary(postgres_url_from_env(builds.pg_env))
    assert on_postgres == on_duckdb
    # The demo data plants deviations: some expectations fail, so counts are compared too.
    assert len(on_duckdb) > 50
    assert any(status == "failed" for status, _, _ in on_duckdb.values())


def test_the_comparison_notices_a_total_that_is_a_cent_off() -> None:
    expected = {"rows": 2, "amount: sum": 100.00, "id: values": ["a", "b"]}
    assert profile_differences(expected, {**expected, "amount: sum": 100.004}) == []
    assert profile_differences(expected, {**expected, "amount: sum": 100.01}) == [
        "amount: sum: 100.0 != 100.01"
    ]
    assert profile_differences(expected, {**expected, "amount: sum": 99.99}) == [
        "amount: sum: 100.0 != 99.99"
    ]
    assert profile_differences(expected, {**expected, "id: values": ["a", "c"]}) == [
        "id: values: 2 values differ"
    ]
