"""Run the whole asset graph in one process and print what happened.

Dagster's multiprocess executor costs ~2 s per step on a 2-core machine and DuckDB allows one
writing process, so the local run executes in-process: ingestion, one `dbt build`, checks.
"""

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from revops import paths
from revops.status import write_last_run

_SUMMARY_SCHEMAS = ("raw", "staging", "intermediate", "marts")


def dagster_home() -> Path:
    """A project-local DAGSTER_HOME, so `revops run` history shows up in `revops dev`."""
    home = Path(os.environ.get("DAGSTER_HOME", paths.PROJECT_DIR / ".dagster_home")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        # Offline machines and CI: no usage-statistics calls, no banner in every run.
        settings.write_text("telemetry:\n  enabled: false\n")
    return home


def table_row_counts(database: Path, schemas: tuple[str, ...] = _SUMMARY_SCHEMAS) -> dict[str, int]:
    """Return {schema.table: rows} for every table and view in the given schemas."""
    counts: dict[str, int] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2",
            list(schemas),
        ).fetchall()
        for schema, table in relations:
            counts[f"{schema}.{table}"] = connection.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
    return counts


def run_all(select: str | None = None, say: Callable[[str], None] = print,
            dbt_config: dict | None = None) -> int:
    """Materialise the selected assets (default: all) in-process; return a process exit code.

    `dbt_config` is the run config of the dbt step (orchestration DbtBuildConfig), e.g. the
    days of a backfill; none for the daily run."""
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    os.environ.setdefault("REVOPS_DUCKDB_PATH", str(paths.duckdb_path()))
    paths.duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)

    say("[1/3] parsing the dbt project")
    from orchestration.project import ensure_manifest

    ensure_manifest(force=True)

    say("[2/3] materialising assets in-process (ingestion -> dbt build -> checks -> BI copy)")
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import local_run_config, with_dbt_config

    job = defs.resolve_job_def("everything")
    selection = None
    if select:
        from dagster import AssetSelection

        selection = AssetSelection.from_string(select)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=with_dbt_config(local_run_config(), dbt_config),
            asset_selection=list(selection.resolve(defs.resolve_asset_graph())) if selection else None,
        )

    say("[3/3] summary")
    from dagster import AssetCheckSeverity

    checks = result.get_asset_check_evaluations()
    failed_checks = [check for check in checks if not check.passed]
    try:
        counts = table_row_counts(paths.duckdb_path())
    except duckdb.Error as error:  # e.g. locked by a process the failed run left behind
        say(f"  row counts unavailable: {error}")
        counts = {}
    for relation, rows in counts.items():
        if relation.startswith(("marts.", "raw.")):
            say(f"  {relation:<45} {rows:>12,} rows")
    staging = {k: v for k, v in counts.items() if k.startswith("staging.")}
    say(f"  staging: {len(staging)} models, {sum(staging.values()):,} rows")
    quarantined = counts.get("raw._quarantine", 0)
    # A failing WARN check is a documented definition that the data departs from (the report
    # lists the records); only ERROR checks block downstream assets.
    warnings = [check for check in failed_checks if check.severity == AssetCheckSeverity.WARN]
    blocking = [check for check in failed_checks if check not in warnings]
    say(f"  checks: {len(checks) - len(failed_checks)} passed, {len(blocking)} failed (blocking), "
        f"{len(warnings)} warnings (data departing from a definition)")
    for check in blocking:
        say(f"    FAILED {check.asset_key.to_user_string()}: {check.check_name}")
    for check in warnings:
        say(f"    warn   {check.asset_key.to_user_string()}: {check.check_name}")
    if warnings:
        say(f"    the departures, per definition: {paths.reports_dir() / 'data_quality.html'}")
    say(f"  quarantined rows: {quarantined:,} (table raw._quarantine)")
    say(f"  warehouse: {paths.duckdb_path()}")
    say(f"  reports:   {paths.reports_dir()}")
    from revops.publish import bi_path

    say(f"  BI copy:   {bi_path()}")
    elapsed = time.perf_counter() - started
    failed_steps = [
        f"{event.step_key}: {event.event_specific_data.error.message.strip()}"
        for event in result.all_events if event.is_step_failure
    ]
    write_last_run({
        "run_id": result.run_id,
        "selection": select,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "seconds": elapsed,
        "success": result.success,
        "checks": [
            {"asset": check.asset_key.to_user_string(), "check": check.check_name,
             "passed": check.passed, "severity": check.severity.value}
            for check in checks
        ],
        "failed_steps": failed_steps,
    })
    if not result.success:
        for step in failed_steps:
            say(f"  step failed: {step}")
        say(f"run FAILED after {elapsed:.1f}s")
        return 1
    say(f"run succeeded in {elapsed:.1f}s")
    return 0
