"""The daily run on PostgreSQL: the ingestion reads only new files and never lets an older
re-export overwrite a newer row (the ledger and the version guard read PostgreSQL itself), and
the incremental models, built over days 1..N and then given the next two weeks of exports,
equal a full rebuild over the same raw rows. A real server (scripts/postgres.sh), throw-away
databases. ~2 min on the shared 2-core machine."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.engine_comparison import run_dbt
from fixtures.mart_rows import differing_rows, sorted_rows
from fixtures.postgres import new_postgres_database
from fixtures.run_stamps import RUN_STAMP_COLUMNS
from test_ingest import Landing, lead, sf_time

from revops.generate import generate
from revops.generate.next_day import last_activity_day, split_off_next_day
from revops.ingest import postgres_url_from_env, run_ingestion
from revops.ingest.warehouse import PostgresRaw

MARTS = {
    "fct_touchpoints": "marts",
    "fct_lifecycle_events": "marts",
    "fct_attribution": "marts",
    "int_touchpoints_unioned": "intermediate",
    "int_touchpoints_joined_to_opportunities": "intermediate",
    "int_marketing_touches_joined_to_opportunities": "intermediate",
    "int_person_records_unioned": "intermediate",
    "int_person_records_resolved": "intermediate",
    "dim_people": "marts",
    "int_lifecycle_events_unioned": "intermediate",
    "int_lifecycle_events_sequenced": "intermediate",
    "int_lifecycle_stages_pivoted": "intermediate",
}
SELECTION = ["--select", "+fct_attribution", "+fct_lifecycle_events"]


def _query(env: dict[str, str], sql: str, params: list | None = None) -> list[tuple]:
    return PostgresRaw(postgres_url_from_env(env)).query(sql, params)


def _rows(env: dict[str, str], mart: str) -> list[tuple]:
    """Every row of a mart without its run stamp, sorted by the values other than floats."""
    columns = [
        name
        for (name,) in _query(
            env,
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position",
            [MARTS[mart], mart],
        )
        if name not in RUN_STAMP_COLUMNS
    ]
    return sorted_rows(_query(env, f"select {', '.join(columns)} from {MARTS[mart]}.{mart}"))


def _dbt(args: list[str], env: dict[str, str], work_dir: Path) -> None:
    done = run_dbt(args, "postgres", env, work_dir)
    assert done.success, done.failures()


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("postgres_daily")
    landing, next_days = work_dir / "landing", work_dir / "next_days"
    generate(landing, leads=1500, seed=11, deviations=False)
    split = split_off_next_day(
        landing, next_days, last_activity_day(landing) - timedelta(days=14)
    )
    state = work_dir / "state.duckdb"  # places dlt's working folder; never created
    with new_postgres_database() as env:
        url = postgres_url_from_env(env)
        first = run_ingestion(landing, state, postgres=url)
        first.raise_for_errors()
        _dbt(["seed"], env, work_dir / "seed")
        _dbt(["run", *SELECTION], env, work_dir / "days_1_to_n")
        day_n = {mart: _rows(env, mart) for mart in MARTS}

        for path in split["files"]:
            landed = landing / path.relative_to(next_days)
            landed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, landed)
        second = run_ingestion(landing, state, postgres=url)
        second.raise_for_errors()
        # The daily build: models and their data tests (the scoped ones read the newest run's
        # rows); cautious: not the tests that also read marts outside the selection.
        _dbt(
            [
                "build",
                *SELECTION,
                "--exclude",
                "resource_type:unit_test",
                "--indirect-selection",
                "cautious",
            ],
            env,
            work_dir / "daily",
        )
        incremental = {mart: _rows(env, mart) for mart in MARTS}
        rewritten = {
            mart: _query(
                env,
                f"select count(*) filter (where recomputed_at = (select max(recomputed_at) "
                f"from {schema}.{mart})), count(*) from {schema}.{mart}",
            )[0]
            for mart, schema in MARTS.items()
        }

        _dbt(["run", "--full-refresh", *SELECTION], env, work_dir / "full")
        full = {mart: _rows(env, mart) for mart in MARTS}
        yield {
            "split": split,
            "next_days": next_days,
            "first": first,
            "second": second,
            "day_n": day_n,
            "incremental": incremental,
            "full": full,
            "rewritten": rewritten,
        }


def test_the_second_ingestion_reads_only_the_new_files(daily_run):
    split, first, second = daily_run["split"], daily_run["first"], daily_run["second"]
    new_files = {path.relative_to(daily_run["next_days"]).as_posix() for path in split["files"]}
    read = {name for table in second.tables.values() for name in table.files_read}
    skipped = {name for table in second.tables.values() for name in table.files_skipped}
    assert read == new_files
    assert skipped == {name for table in first.tables.values() for name in table.files_read}
    assert sum(table.rows_loaded for table in second.tables.values()) == split["rows"]


@pytest.mark.parametrize("mart", MARTS)
def test_the_daily_run_on_postgres_equals_a_full_rebuild(daily_run, mart):
    incremental, full = daily_run["incremental"][mart], daily_run["full"][mart]
    differing = differing_rows(incremental, full)
    assert not differing, f"{mart}: {len(differing)} rows differ, first: {differing[:2]}"
    # The new days changed the mart: the comparison is not between two unchanged tables.
    assert differing_rows(full, daily_run["day_n"][mart])


@pytest.mark.parametrize("mart", MARTS)
def test_the_daily_run_on_postgres_rewrote_a_part_of_each_stamped_table(daily_run, mart):
    rewritten, total = daily_run["rewritten"][mart]
    assert 0 < rewritten < total, (rewritten, total)


def test_an_older_re_export_does_not_overwrite_a_newer_row_on_postgres(tmp_path):
    landing = Landing(tmp_path / "landing")
    state = tmp_path / "state.duckdb"
    newer = landing.csv(
        "crm_lead", "Lead_2024-02.csv", [lead("00Q1", sf_time("2024-02-01"), company="New")]
    )
    with new_postgres_database() as env:
        url = postgres_url_from_env(env)
        run_ingestion(landing.root, state, ["crm_lead"], postgres=url).raise_for_errors()
        # Archived after loading (landing folders are often emptied): only raw knows the row.
        newer.unlink()
        landing.csv(
            "crm_lead", "Lead_2024-01.csv", [lead("00Q1", sf_time("2024-01-01"), company="Old")]
        )
        report = run_ingestion(landing.root, state, ["crm_lead"], postgres=url)
        report.raise_for_errors()
        assert _query(env, "select id, company from raw.crm_lead") == [("00Q1", "New")]
    assert report.tables["crm_lead"].rows_skipped == 1
