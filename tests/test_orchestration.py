"""The Dagster definitions load, connect ingestion to dbt, and run end to end in-process."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from fixtures.run_stamps import RUN_STAMP_COLUMNS

from revops.contract import OBJECTS
from revops.publish import HELPER_TABLE_MARK

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "REVOPS_LANDING_DIR": str(tmp_path / "landing"),
        "REVOPS_DUCKDB_PATH": str(tmp_path / "warehouse" / "revops.duckdb"),
        "REVOPS_REPORTS_DIR": str(tmp_path / "reports"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }


def _python(code: str, env: dict[str, str]) -> str:
    """Run code in a fresh interpreter: the definitions read their paths at import time."""
    done = subprocess.run(check=False, args=[sys.executable, "-c", code], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def test_definitions_have_one_raw_asset_per_contract_table_upstream_of_staging(tmp_path):
    out = _python(
        "import json\n"
        "from orchestration.definitions import defs\n"
        "graph = defs.resolve_asset_graph()\n"
        "keys = {key.to_user_string(): sorted(d.to_user_string() for d in graph.get(key).parent_keys)\n"
        "        for key in graph.get_all_asset_keys()}\n"
        "checks = sorted(key.to_user_string() for key in graph.asset_check_keys)\n"
        "print(json.dumps({'keys': keys, 'checks': checks}))\n",
        _env(tmp_path),
    )
    graph = json.loads(out.strip().splitlines()[-1])
    keys = graph["keys"]
    for spec in OBJECTS:
        assert f"raw/{spec.table}" in keys, f"no ingestion asset for {spec.table}"
    # dbt sources point at the ingestion assets, so staging depends on raw.
    assert "raw/crm_lead" in keys["staging/stg_crm__leads"]
    assert "raw/map_activity" in keys["staging/stg_map__activities"]
    # dbt tests show up as asset checks on the models they test.
    assert any(check.startswith("staging/stg_crm__leads:") for check in graph["checks"])


def _canonical(value):
    if isinstance(value, float):
        return 0.0 if abs(value) < 1e-6 else float(f"{value:.9g}")
    return value


def _mart_hashes(database: Path) -> dict[str, str]:
    """{table: sha256 of its sorted rows} for every mart in schema marts (the incremental
    models' helper tables beside them, <model>__gone, are not marts). Doubles are rounded
    to 9 significant digits, and below 1e-6 to 0: DuckDB's parallel sums may differ in the last
    bits between runs, and a difference of two such sums that should cancel (a model's credit
    minus the same credit from the model in force) then comes out as 0 or as ~1e-12."""
    hashes = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and position(? in table_name) = 0 order by 1", [HELPER_TABLE_MARK]).fetchall()]
        for table in tables:
            names = [row[0] for row in connection.execute(f'describe marts."{table}"').fetchall()]
            stamps = sorted(RUN_STAMP_COLUMNS & set(names))
            columns = f"* exclude ({', '.join(stamps)})" if stamps else "*"
            rows = connection.execute(f'select {columns} from marts."{table}"').fetchall()
            canonical = sorted(repr(tuple(_canonical(value) for value in row)) for row in rows)
            hashes[table] = hashlib.sha256("\n".join(canonical).encode()).hexdigest()
    return hashes


# What `revops run` reads: the code, the dbt project and the settings beside it.
_PROJECT_PARTS = ("revops", "orchestration", "expectations", "models", "macros", "seeds",
                  "data-tests", "dbt_project.yml", "profiles.yml", "landing_formats.yml",
                  "pyproject.toml")


def _project_snapshot(tmp_path: Path) -> Path:
    """A copy of the project for a test's runs to execute in (`python -m` puts the working
    directory first on sys.path, so the copy's packages are the ones imported). The runs then
    parse, and write target/, in their own directory: in the shared working tree a `dbt parse`
    by another process, or an edit that adds a dbt node, between Dagster loading
    target/manifest.json and its `dbt build` made the build report a node missing from the
    loaded manifest (KeyError in dagster-dbt's `_get_resource_props`)."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in _PROJECT_PARTS:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.duckdb"))
        elif source.exists():
            shutil.copy2(source, copy / name)
    return copy


def _start_run(env: dict[str, str], log: Path, cwd: Path = PROJECT_DIR) -> subprocess.Popen:
    """`revops run` in its own process group (so a kill takes dbt down with it)."""
    return subprocess.Popen([sys.executable, "-m", "revops.cli", "run"], env=env, cwd=cwd,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _query_bi_copy(path: Path) -> tuple[str, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        run_id = connection.execute("select run_id from main._published").fetchone()[0]
        tables = connection.execute("select count(*) from information_schema.tables "
                                    "where table_schema = 'marts'").fetchone()[0]
    return run_id, tables


def test_run_publishes_a_bi_copy_readers_can_query_during_the_run_and_a_killed_rerun_matches(
        tmp_path):
    """One test, three runs of the same 600-lead landing folder (~2.5 min): a BI reader queries
    the published copy throughout run 1; run 2 is killed in the middle of the dbt build and
    must leave the published copy untouched; run 3 must then rebuild marts identical, row for
    row, to the uninterrupted run 1."""
    from revops.publish import publish

    env = _env(tmp_path)
    project = _project_snapshot(tmp_path)
    revops = [sys.executable, "-m", "revops.cli"]
    generated = subprocess.run(check=False, args=[*revops, "generate", "--leads", "600", "--seed", "3"], env=env,
                               cwd=project, capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stderr[-4000:]

    # A copy published by an earlier run, so a reader has something to open from the start.
    database = tmp_path / "warehouse" / "revops.duckdb"
    bi_copy = tmp_path / "warehouse" / "bi" / "revops_bi.duckdb"
    previous = tmp_path / "previous.duckdb"
    with duckdb.connect(str(previous)) as connection:
        connection.execute("create schema marts; create table marts.fct_touchpoints as select 1 as x")
    publish(previous, bi_copy, run_id="previous")

    # Run 1, uninterrupted, with a BI reader polling the published copy the whole time. Only
    # the copy: a read-only connection to the working file holds a shared lock, and dlt's load
    # opening the file at that moment failed the run ("Could not set lock ... held in <this
    # pytest process>"): the flake seen under load, when each probe takes longer.
    run = _start_run(env, tmp_path / "run1.log", project)
    reads, read_errors = 0, []
    while run.poll() is None:
        try:
            _query_bi_copy(bi_copy)
            reads += 1
        except duckdb.Error as error:  # any failure here is what BI users would see
            read_errors.append(str(error))
        time.sleep(0.2)
    output = (tmp_path / "run1.log").read_text()
    assert run.returncode == 0, output[-6000:]
    assert "run succeeded" in output
    assert "[1/3]" in output and "summary" in output  # progress per step
    # Every dbt test on a model or seed is a Dagster asset check, the singular tests over
    # several relations included (their meta names the asset); the tests on raw tables (dbt
    # sources) are what dagster-dbt logs as observations, with a warning each.
    observed = set(re.findall(r"instead of an `AssetCheckResult` for dbt test `([^`]+)`", output))
    assert observed and all(name.startswith("source_") for name in observed), observed
    assert read_errors == [] and reads >= 20, (reads, read_errors[:3])
    run_id, mart_tables = _query_bi_copy(bi_copy)
    assert run_id != "previous" and mart_tables > 5  # the run published its own marts

    manifest = json.loads((tmp_path / "landing" / "_manifest.json").read_text())
    with duckdb.connect(str(database), read_only=True) as connection:
        leads = connection.execute("select count(*) from raw.crm_lead").fetchone()[0]
        staged = connection.execute("select count(*) from staging.stg_crm__leads").fetchone()[0]
    assert leads == manifest["row_counts"]["crm_lead"]
    assert staged == leads
    uninterrupted = _mart_hashes(database)
    assert len(uninterrupted) == mart_tables

    status = subprocess.run(check=False, args=[*revops, "status"], env=env, cwd=project, capture_output=True,
                            text=True, timeout=120)
    assert status.returncode == 0, status.stderr[-4000:]
    assert "14 files" in status.stdout and "last run: succeeded" in status.stdout
    assert "marts.fct_touchpoints" in status.stdout and str(bi_copy) in status.stdout

    # Run 2: killed (SIGKILL, dbt included) as soon as the dbt build has written a mart.
    published_bytes = bi_copy.read_bytes()
    log = tmp_path / "run2.log"
    run = _start_run(env, log, project)
    deadline = time.monotonic() + 300
    while "dbt: built marts" not in log.read_text():
        assert run.poll() is None, log.read_text()[-4000:]
        assert time.monotonic() < deadline, "the dbt build never reached the marts"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert "run succeeded" not in log.read_text()
    assert bi_copy.read_bytes() == published_bytes  # readers still see run 1's marts

    # Run 3 resumes cleanly and rebuilds the same marts.
    rerun = subprocess.run(check=False, args=[*revops, "run"], env=env, cwd=project, capture_output=True,
                           text=True, timeout=600)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-6000:]
    assert _mart_hashes(database) == uninterrupted


def test_the_leads_option_rejects_sizes_outside_the_documented_range(tmp_path):
    done = subprocess.run(check=False, args=[sys.executable, "-m", "revops.cli", "generate", "--leads", "5"],
                          env=_env(tmp_path), cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 2
    assert "--leads must be between 100 and 2,000,000" in done.stderr
