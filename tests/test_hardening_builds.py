"""Whole builds: time zones, allowed stage skips, definitions that try SQL injection, secrets.

Two module-wide builds of the same 300 generated leads (deviations off), each generated,
ingested and built by dbt in its own process, one under TZ=UTC and one under
TZ=America/Los_Angeles, the second with REVOPS_PG_PASSWORD set to a known secret. ~40 s in
all on the shared 2-core machine.
"""

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fixtures.run_stamps import RUN_STAMP_COLUMNS
from hardening_report import Section, reliability_document  # noqa: F401 (fixture)

from expectations.run import all_rules, run_suites, suite_specs
from revops.definitions import DBT_PROJECT_FILE, load
from revops.paths import DEFINITIONS_DIR, PROJECT_DIR

LEADS = 300
REPORT = Section(__doc__)  # this module's section of docs/reliability.md
SECRET = "some-secret-4b1d"
EVIL = "x'; drop table marts.fct_opportunities; --"
DBT = str(Path(sys.executable).parent / "dbt")
_BUILD_SCRIPT = """
import sys
from pathlib import Path
from revops.generate import generate
from revops.ingest import run_ingestion
landing, database = Path(sys.argv[1]), Path(sys.argv[2])
generate(landing, leads=int(sys.argv[3]), seed=11, deviations=False)
run_ingestion(landing, database, progress=print).raise_for_errors()
"""


def _dbt(args: list[str], work_dir: Path, env: dict[str, str], project_dir: Path = PROJECT_DIR):
    done = subprocess.run(
        [DBT, *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
         "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")],
        env=env, cwd=project_dir, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"dbt {args[0]} failed: {(done.stdout + done.stderr)[-3000:]}"
    return done


def _build(work_dir: Path, tz: str, extra_env: dict[str, str] | None = None) -> tuple[Path, str]:
    """Generate, ingest and build every model under time zone `tz`; return the database and
    everything the processes printed."""
    database = work_dir / "revops.duckdb"
    env = {**os.environ, "TZ": tz, "REVOPS_DUCKDB_PATH": str(database), **(extra_env or {})}
    ingest = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT, str(work_dir / "landing"), str(database), str(LEADS)],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    built = _dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
                 work_dir, env)
    return database, ingest.stdout + ingest.stderr + built.stdout + built.stderr


@pytest.fixture(scope="module")
def utc_build(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("build_utc"), "UTC")[0]


@pytest.fixture(scope="module")
def la_build(tmp_path_factory) -> tuple[Path, str]:
    return _build(tmp_path_factory.mktemp("build_la"), "America/Los_Angeles",
                  {"REVOPS_PG_PASSWORD": SECRET})


def _mart_rows(database: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Per mart table: (the md5 of each row's exact columns, the row's floating-point values),
    sorted by the hash, read in a UTC session.

    Floating-point columns are compared apart, to 1e-9 relative: DuckDB sums in parallel in no
    fixed order, so two builds of the same data differ in the last bits (202707.36127901849 and
    ...886 in attribution_model_comparison, with or without a time zone change).
    """
    found = {}
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where schema_name = 'marts' order by table_name, column_index").fetchall():
            columns.setdefault(table, []).append((column, kind))
        for table, typed in columns.items():
            floats = [f'"{c}"' for c, kind in typed if kind in ("DOUBLE", "FLOAT")]
            exact = [f'"{c}"' for c, kind in typed
                     if kind not in ("DOUBLE", "FLOAT") and c not in RUN_STAMP_COLUMNS]
            exact_sql = f"md5(cast(struct_pack({', '.join(exact)}) as varchar))" if exact else "''"
            rows = con.execute(
                f"select {exact_sql} as h, [{', '.join(floats)}]::DOUBLE[] "
                f'from marts."{table}" order by h, 2').fetchall()
            found[table] = ([h for h, _ in rows], [tuple(values) for _, values in rows])
    return found


def _close(left: tuple, right: tuple) -> bool:
    return len(left) == len(right) and all(
        (a is None and b is None) or (a is not None and b is not None
                                      and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))
        for a, b in zip(left, right, strict=True))


def test_the_same_build_under_utc_and_los_angeles_gives_identical_marts(
    utc_build, la_build
):
    utc, la = _mart_rows(utc_build), _mart_rows(la_build[0])
    assert "fct_opportunities" in utc and len(utc) >= 10
    assert set(utc) == set(la)
    differing = sorted(table for table in utc if utc[table][0] != la[table][0])
    assert differing == []
    drifting = sorted(table for table in utc if not all(
        _close(a, b) for a, b in zip(utc[table][1], la[table][1], strict=True)))
    assert drifting == []
    rows = sum(len(hashes) for hashes, _ in utc.values())
    REPORT.add("build under TZ=UTC and TZ=America/Los_Angeles (generate, ingest, dbt build)",
                f"identical: {len(utc)} mart tables, {rows:,} rows, every row hash equal "
                "(floating-point columns equal to 1e-9 relative)")


def test_clean_generated_data_takes_only_allowed_stage_skips(utc_build):
    run = run_suites(utc_build, only=[spec.name for spec in suite_specs()
                                      if spec.table == "fct_lifecycle_events"])
    outcome = run.by_name()["stage_skips_are_allowed"]
    assert outcome.status == "passed", outcome
    assert outcome.unexpected_count == 0
    assert outcome.scope_count and outcome.scope_count > 0  # skips happened, all allowed
    REPORT.add("skipped stages on clean generated data (def_allowed_stage_skips)",
                f"{outcome.scope_count} skips, 0 outside the allowed pairs")


def test_a_skip_the_definitions_do_not_allow_is_reported(utc_build, tmp_path):
    seeds = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, seeds)
    path = seeds / "def_allowed_stage_skips.csv"
    rows = [row for row in csv.DictReader(path.open(encoding="utf-8"))
            if (row["from_stage"], row["to_stage"]) != ("lead", "sal")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["from_stage", "to_stage", "definition"])
        writer.writeheader()
        writer.writerows(rows)
    definitions = load(seeds, DBT_PROJECT_FILE)
    run = run_suites(utc_build, definitions, only=[
        spec.name for spec in suite_specs(definitions) if spec.table == "fct_lifecycle_events"])
    outcome = run.by_name()["stage_skips_are_allowed"]
    assert outcome.status == "failed" and outcome.unexpected_count > 0
    assert outcome.example_ids
    REPORT.add("the lead -> sal skip removed from a copy of def_allowed_stage_skips",
                f"reported: {outcome.unexpected_count} lifecycle events, e.g. "
                f"{', '.join(outcome.example_ids[:3])}")


def test_every_generated_suite_query_is_one_statement_with_definition_values_quoted(
    tmp_path
):
    seeds = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, seeds)
    # The label goes into values the suites write into SQL: a rejection code and an activity
    # type (qualifying action), and into a display name.
    _replace_first(seeds / "def_rejection_reasons.csv", "reason_code", EVIL)
    _replace_first(seeds / "def_rejection_reasons.csv", "reason_name", EVIL)
    definitions = load(seeds, DBT_PROJECT_FILE)
    assert EVIL in definitions.rejection_reasons
    queries = [rule.expectation.unexpected_rows_query for rule in all_rules(definitions)
               if hasattr(rule.expectation, "unexpected_rows_query")]
    queries += [rule.meta["scope_sql"] for rule in all_rules(definitions)]
    carrying = 0
    with duckdb.connect() as con:
        for query in queries:
            sql = query.replace("{batch}", "checked_table")
            parsed = json.loads(con.execute("select json_serialize_sql(?)", [sql]).fetchall()[0][0])
            assert not parsed["error"], (parsed, sql)
            assert len(parsed["statements"]) == 1, sql
            if "drop table" in sql:
                carrying += 1
                assert "x''; drop table" in sql  # inside a string literal, quote doubled
    assert carrying >= 1
    REPORT.add(f"definitions label `{EVIL}` as a rejection code, GX suites",
                f"quoted: {len(queries)} generated queries each parse as one statement; "
                f"{carrying} carry the label as a string literal")


def test_a_definitions_label_with_sql_is_stored_literally_by_the_dbt_build(
    utc_build, tmp_path
):
    project = tmp_path / "project"
    for name in ("models", "macros", "seeds", "data-tests"):
        shutil.copytree(PROJECT_DIR / name, project / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, project / name)
    _replace_first(project / "seeds" / "definitions" / "def_rejection_reasons.csv",
                   "reason_name", EVIL)
    _replace_first(project / "seeds" / "definitions" / "def_lifecycle_stages.csv",
                   "stage_name", EVIL)
    database = tmp_path / "revops.duckdb"
    shutil.copy(utc_build, database)
    env = {**os.environ, "REVOPS_DUCKDB_PATH": str(database)}
    _dbt(["build", "--select", "definitions", "+fct_rejections", "+fct_opportunities",
          "--exclude", "resource_type:test", "resource_type:unit_test"], tmp_path, env, project)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_opportunities").fetchall()[0][0] > 0
        assert con.execute("select count(*) from definitions.def_rejection_reasons "
                           "where reason_name = ?", [EVIL]).fetchall() == [(1,)]
        assert con.execute("select count(*) from definitions.def_lifecycle_stages "
                           "where stage_name = ?", [EVIL]).fetchall() == [(1,)]
    REPORT.add(f"definitions label `{EVIL}` in a copy of the seeds, dbt build",
                "stored literally in definitions.def_rejection_reasons and "
                "def_lifecycle_stages; marts.fct_opportunities still exists with its rows")


def test_a_password_in_the_environment_never_reaches_logs_or_reports(
    la_build, tmp_path
):
    from expectations.report import write_report

    database, printed = la_build
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVOPS_PG_PASSWORD", SECRET)
        write_report(database, tmp_path / "reports", data_docs=False)
    written = [database.parent / "logs", database.parent / "target", tmp_path / "reports"]
    leaked = [str(path) for folder in written for path in folder.rglob("*")
              if path.is_file() and SECRET.encode() in path.read_bytes()]
    assert SECRET not in printed
    assert leaked == []
    files = sum(1 for folder in written for path in folder.rglob("*") if path.is_file())
    REPORT.add("REVOPS_PG_PASSWORD set during ingestion, dbt build and `revops report`",
                f"the secret appears in none of the output, dbt logs, target files or "
                f"reports ({files} files searched)")


def _replace_first(path: Path, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
