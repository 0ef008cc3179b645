"""The Dagster definitions: their committed snapshot, the schedule, the landing sensor, retries
and the BI publication, tested without running the pipeline (~20 s in all)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import RunRequest, build_sensor_context

from orchestration.retries import backoff_seconds, is_transient
from orchestration.schedules import daily_refresh_schedule
from orchestration.sensors import landing_files_sensor
from revops.contract import OBJECTS
from revops.publish import NothingToPublishError, publish, read_publication

PROJECT_DIR = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).parent / "snapshots" / "orchestration_definitions.json"

_DUMP = """
import json
from orchestration.definitions import defs
graph = defs.resolve_asset_graph()
print(json.dumps({
    "assets": sorted(key.to_user_string() for key in graph.get_all_asset_keys()),
    "asset_checks": sorted(key.to_user_string() for key in graph.asset_check_keys),
    "jobs": sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")),
    "schedules": sorted(f"{s.name} {s.cron_schedule} {s.execution_timezone}"
                        for s in defs.get_repository_def().schedule_defs),
    "sensors": sorted(sensor.name for sensor in defs.get_repository_def().sensor_defs),
    "groups": sorted({graph.get(key).group_name for key in graph.get_all_asset_keys()}),
    "assets_without_description": sorted(key.to_user_string() for key in graph.get_all_asset_keys()
                                         if not graph.get(key).description),
    "assets_without_owner": sorted(key.to_user_string() for key in graph.get_all_asset_keys()
                                   if not graph.get(key).owners),
}, indent=1))
"""


def _dump_definitions(tmp_path: Path) -> dict:
    """The definitions as plain data, from a fresh interpreter (they read paths at import)."""
    env = {**os.environ, "REVOPS_DUCKDB_PATH": str(tmp_path / "revops.duckdb"),
           "REVOPS_LANDING_DIR": str(tmp_path / "landing"), "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run(check=False, args=[sys.executable, "-c", _DUMP], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout[done.stdout.index("{"):])


def test_definitions_match_the_committed_snapshot_of_assets_checks_jobs_and_schedules(tmp_path):
    """A changed graph must be a reviewed change: regenerate the snapshot with
    REVOPS_UPDATE_SNAPSHOT=1 and commit the diff."""
    current = _dump_definitions(tmp_path)
    if os.environ.get("REVOPS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n")
    committed = json.loads(SNAPSHOT.read_text())
    for part in committed:
        assert current[part] == committed[part], (
            f"{part} differ from {SNAPSHOT.name}: added {sorted(set(current[part]) - set(committed[part]))}, "
            f"removed {sorted(set(committed[part]) - set(current[part]))} "
            "(REVOPS_UPDATE_SNAPSHOT=1 rewrites it)")
    # Every asset is described and owned, and the graph runs landing -> raw -> ... -> bi.
    assert current["assets_without_description"] == []
    assert current["assets_without_owner"] == []
    for group in ("landing", "raw", "staging", "intermediate", "marts", "reports", "bi"):
        assert group in current["groups"]


def test_the_daily_schedule_runs_the_whole_graph_at_six_utc():
    assert daily_refresh_schedule.cron_schedule == "0 6 * * *"
    assert daily_refresh_schedule.execution_timezone == "UTC"
    assert daily_refresh_schedule.job_name == "everything"


def test_the_runs_new_data_starts_skip_the_unit_tests_and_the_local_run_keeps_them(
        tmp_path, monkeypatch):
    from dagster import build_schedule_context, validate_run_config

    from orchestration.assets.transformations import DbtBuildConfig, revops_dbt_models
    from orchestration.definitions import defs

    monkeypatch.setenv("REVOPS_LANDING_DIR", str(tmp_path / "landing"))
    _drop(tmp_path / "landing", OBJECTS[0], "export.csv")
    sensor_runs, _, _ = _tick(None)
    scheduled = daily_refresh_schedule.evaluate_tick(build_schedule_context()).run_requests
    job = defs.resolve_job_def("everything")
    for run_config in (scheduled[0].run_config, sensor_runs[0].run_config):
        validate_run_config(job, run_config)
        dbt_config = DbtBuildConfig(**run_config["ops"][revops_dbt_models.op.name]["config"])
        assert dbt_config.dbt_args() == ["--exclude", "resource_type:unit_test"]
    # `revops run` (no dbt config) and CI run them.
    assert DbtBuildConfig().dbt_args() == []


# --- the landing sensor ---------------------------------------------------------------------

def _drop(landing: Path, spec, name: str, age_seconds: float = 600) -> Path:
    """Write one small export file of `spec` into the landing folder, `age_seconds` old."""
    folder = landing / spec.landing_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(",".join(spec.columns) + "\n")
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


def _tick(cursor: str | None):
    """Evaluate the sensor once; return (run requests, skip message, new cursor)."""
    context = build_sensor_context(cursor=cursor)
    data = landing_files_sensor.evaluate_tick(context)
    return data.run_requests or [], data.skip_message, data.cursor or cursor


def test_the_sensor_starts_exactly_one_run_per_new_batch_of_files(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
    leads, accounts, activities = OBJECTS[0], OBJECTS[1], OBJECTS[-1]

    requests, skip, cursor = _tick(None)
    assert requests == [] and "no new" in skip  # empty landing folder

    # First export drop: three files, one run.
    for spec in (leads, accounts, activities):
        _drop(landing, spec, "export_2026-11-01.csv")
    (landing / "_manifest.json").write_text("{}")  # not an export file: ignored
    requests, skip, cursor = _tick(cursor)
    assert len(requests) == 1 and isinstance(requests[0], RunRequest)
    first_key = requests[0].run_key

    # Nothing new: no run, however often the sensor ticks.
    for _ in range(3):
        requests, skip, cursor = _tick(cursor)
        assert requests == []

    # The next day's drop of two files: exactly one more run, with its own run key.
    _drop(landing, leads, "export_2026-11-02.csv")
    _drop(landing, activities, "export_2026-11-02.csv")
    requests, skip, cursor = _tick(cursor)
    assert len(requests) == 1 and requests[0].run_key != first_key
    assert requests[0].tags["revops/new_files"] == "2"
    assert _tick(cursor)[0] == []


def test_the_sensor_waits_until_a_batch_has_stopped_arriving(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
    path = _drop(landing, OBJECTS[0], "export_2026-11-03.csv", age_seconds=0)
    requests, skip, cursor = _tick(None)
    assert requests == [] and "still arriving" in skip
    stamp = time.time() - 120
    os.utime(path, (stamp, stamp))
    requests, skip, cursor = _tick(cursor)
    assert len(requests) == 1


def test_a_replaced_export_file_starts_a_run_but_an_untouched_one_does_not(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
    path = _drop(landing, OBJECTS[0], "export.csv")
    _, _, cursor = _tick(None)
    path.write_text(path.read_text() + "corrected\n")
    stamp = time.time() - 600
    os.utime(path, (stamp, stamp))
    assert len(_tick(cursor)[0]) == 1


# --- retries --------------------------------------------------------------------------------

def test_only_lock_connection_and_kill_failures_are_retried_with_growing_waits():
    assert is_transient('IO Error: Could not set lock on file "/w/revops.duckdb"')
    assert is_transient("", returncode=-9)  # dbt killed by a signal
    assert not is_transient("Failure in test not_null_stg_crm__leads", returncode=1)
    assert not is_transient("Compilation Error in model fct_touchpoints")
    assert [backoff_seconds(n, base=5) for n in range(3)] == [5, 10, 20]


# --- the BI copy ----------------------------------------------------------------------------

def _warehouse(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts; create schema staging; create schema definitions")
        connection.execute(f"create table marts.fct_x as select range as x_id from range({rows})")
        connection.execute("create view marts.metrics_x as select count(*) as n from marts.fct_x")
        connection.execute("create table staging.stg_x as select 1 as x_id")
        connection.execute("create table definitions.def_x as select 'a' as code")
    return path


def test_publishing_copies_marts_and_definitions_into_a_self_contained_read_only_file(tmp_path):
    source = _warehouse(tmp_path / "revops.duckdb", rows=5)
    target = tmp_path / "bi" / "revops_bi.duckdb"
    result = publish(source, target, run_id="run-1")
    assert result.tables == {"definitions.def_x": 1, "marts.fct_x": 5, "marts.metrics_x": 1}
    source.unlink()  # the copy needs nothing from the working file (views became tables)
    with duckdb.connect(str(target), read_only=True) as connection:
        assert connection.execute("select n from marts.metrics_x").fetchone()[0] == 5
        schemas = {row[0] for row in connection.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
    assert "staging" not in schemas
    assert read_publication(target)["run_id"] == "run-1"
    assert [path.name for path in target.parent.iterdir()] == ["revops_bi.duckdb"]


def test_a_failed_publication_leaves_the_previous_copy_byte_for_byte(tmp_path):
    target = tmp_path / "bi" / "revops_bi.duckdb"
    publish(_warehouse(tmp_path / "good.duckdb", rows=3), target, run_id="good")
    before = target.read_bytes()
    broken = tmp_path / "broken.duckdb"
    duckdb.connect(str(broken)).close()  # no marts at all: a build that never got there
    with pytest.raises(NothingToPublishError, match="no tables in schema marts"):
        publish(broken, target, run_id="bad")
    assert target.read_bytes() == before
    assert [path.name for path in target.parent.iterdir()] == ["revops_bi.duckdb"]


def test_a_reader_keeps_its_open_copy_across_a_swap_and_sees_the_new_one_on_reconnect(tmp_path):
    target = tmp_path / "bi" / "revops_bi.duckdb"
    publish(_warehouse(tmp_path / "day1.duckdb", rows=3), target)
    with duckdb.connect(str(target), read_only=True) as reader:
        publish(_warehouse(tmp_path / "day2.duckdb", rows=7), target)
        assert reader.execute("select count(*) from marts.fct_x").fetchone()[0] == 3
    with duckdb.connect(str(target), read_only=True) as reader:
        assert reader.execute("select count(*) from marts.fct_x").fetchone()[0] == 7


def test_run_select_runs_only_the_selection_and_a_failed_run_keeps_the_published_copy(tmp_path):
    """`revops run --select key:bi/revops_bi` on a warehouse without marts: only the publish
    step runs, it fails without retrying, the command exits 1, the previous BI copy is
    unchanged, and `revops status` reports the failed run."""
    env = {**os.environ, "REVOPS_DUCKDB_PATH": str(tmp_path / "warehouse" / "revops.duckdb"),
           "REVOPS_LANDING_DIR": str(tmp_path / "landing"),
           "REVOPS_REPORTS_DIR": str(tmp_path / "reports"),
           "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    bi_copy = tmp_path / "warehouse" / "bi" / "revops_bi.duckdb"
    publish(_warehouse(tmp_path / "earlier.duckdb", rows=4), bi_copy, run_id="earlier")
    before = bi_copy.read_bytes()
    duckdb.connect(str(tmp_path / "warehouse" / "revops.duckdb")).close()  # empty warehouse

    started = time.monotonic()
    ran = subprocess.run(check=False, args=[sys.executable, "-m", "revops.cli", "run", "--select",
                         "key:bi/revops_bi"], env=env, cwd=PROJECT_DIR, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 1, (ran.stdout + ran.stderr)[-4000:]
    assert "run FAILED" in ran.stdout and "nothing to publish" in ran.stdout
    assert "dbt: built" not in ran.stdout and "ingest:" not in ran.stdout  # only the selection
    assert time.monotonic() - started < 120  # no 5+10+20 s retry waits for a missing build
    assert bi_copy.read_bytes() == before

    status = subprocess.run(check=False, args=[sys.executable, "-m", "revops.cli", "status"],
                            env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr[-4000:]
    assert "last run: FAILED" in status.stdout and "key:bi/revops_bi" in status.stdout
    assert "none recorded in raw._ingested_files" in status.stdout


def test_a_run_parses_the_dbt_project_again_only_after_something_it_reads_changed(monkeypatch):
    from orchestration import project

    parses = []
    real_prepare = project.revops_dbt_project.preparer.prepare
    monkeypatch.setattr(
        project.revops_dbt_project.preparer,
        "prepare",
        lambda dbt_project: parses.append(1) or real_prepare(dbt_project),
    )
    project.ensure_manifest(force=True)  # parses unless a current manifest is there
    assert project.manifest_is_current()
    project.ensure_manifest(force=True)
    assert len(parses) <= 1  # the second call found it current

    # dlt's own settings, set in-process while the ingestion loads, are not read by dbt.
    monkeypatch.setenv("REVOPS_LANDING__LOAD__SOME_SETTING", "x")
    assert project.manifest_is_current()
    # A variable profiles.yml or a model reads is.
    monkeypatch.setenv("REVOPS_PII_SALT", "another salt than the parse saw")
    assert not project.manifest_is_current()
    monkeypatch.undo()

    # A model edited after the parse (its mtime moved past the manifest's, then put back).
    model = PROJECT_DIR / "models" / "marts" / "dim_people.sql"
    before = model.stat()
    manifest_time = project.revops_dbt_project.manifest_path.stat().st_mtime
    os.utime(model, (before.st_atime, manifest_time + 5))
    try:
        assert not project.manifest_is_current()
    finally:
        os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert project.manifest_is_current()
