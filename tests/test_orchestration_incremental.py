"""Incremental staging models (the six largest): loading day N+1 incrementally gives the same rows as a full
rebuild over days 1..N+1, including a late correction of an existing record (~20 s)."""

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner
from fixtures.raw_fixture import create_raw_fixture, record_id
from fixtures.run_stamps import RUN_STAMP_COLUMNS

from revops.paths import PROJECT_DIR

# model -> (raw table, raw key column, version column)
INCREMENTAL_MODELS = {
    "stg_map__activities": ("map_activity", "activity_id", "updated_at"),
    "stg_crm__lead_history": ("crm_lead_history", "id", "system_modstamp"),
    "stg_crm__campaign_members": ("crm_campaign_member", "id", "system_modstamp"),
    "stg_crm__tasks": ("crm_task", "id", "system_modstamp"),
    "stg_crm__leads": ("crm_lead", "id", "system_modstamp"),
    "stg_map__score_changes": ("map_score_change", "score_change_id", "updated_at"),
}


def _dbt(args: list[str], database: Path, work_dir: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVOPS_DUCKDB_PATH", str(database))
        result = dbtRunner().invoke([
            *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
            "--target", "duckdb", "--target-path", str(work_dir / "target"),
            "--log-path", str(work_dir / "logs"), "--quiet",
        ])
    assert result.success, result.exception or [str(node.message) for node in result.result]


def _rows(database: Path, model: str) -> list[tuple]:
    """Every row of a staging model without its run stamp (two builds differ only there)."""
    with duckdb.connect(str(database)) as connection:
        names = {row[0] for row in connection.execute(f"describe staging.{model}").fetchall()}
        stamps = sorted(RUN_STAMP_COLUMNS & names)
        columns = f"* exclude ({', '.join(stamps)})" if stamps else "*"
        rows = connection.execute(f"select {columns} from staging.{model}").fetchall()
        return sorted(rows, key=repr)


def _load_next_day(database: Path) -> None:
    """Day N+1 as the ingestion would leave raw: new records, and a corrected version of a
    day-1 record (newer version column, merged in place by key), all with the new _loaded_at."""
    with duckdb.connect(str(database)) as connection:
        for table, key, version in INCREMENTAL_MODELS.values():
            loaded_at = connection.execute(f"select max(_loaded_at) from raw.{table}").fetchone()[0]
            next_load = loaded_at + timedelta(days=1)
            connection.execute(
                f"insert into raw.{table} select * replace ("
                f"    {key} || '_day2' as {key}, ? as _loaded_at, {version} + interval 1 day as {version}"
                f") from raw.{table}", [next_load])
            connection.execute(
                f"update raw.{table} set {version} = {version} + interval 2 day, "
                f"_row_hash = 'corrected', _loaded_at = ? where {key} = ?",
                [next_load, record_id(table, 0)])


def test_loading_the_next_day_incrementally_equals_a_full_rebuild(tmp_path):
    database = create_raw_fixture(tmp_path / "revops.duckdb", rows_per_table=40)
    selection = ["--select", *INCREMENTAL_MODELS]
    _dbt(["run", *selection], database, tmp_path)
    day_one = {model: _rows(database, model) for model in INCREMENTAL_MODELS}

    _load_next_day(database)
    _dbt(["run", *selection], database, tmp_path)
    incremental = {model: _rows(database, model) for model in INCREMENTAL_MODELS}
    for model in INCREMENTAL_MODELS:
        # The run was incremental (dbt's delete+insert), not a silent rebuild.
        compiled = (tmp_path / "target" / "run" / "revops").rglob(f"{model}.sql")
        assert "delete from" in next(compiled).read_text().lower(), model

    _dbt(["run", "--full-refresh", *selection], database, tmp_path)
    full = {model: _rows(database, model) for model in INCREMENTAL_MODELS}

    for model in INCREMENTAL_MODELS:
        assert incremental[model] == full[model], model
        # It grew by the new day and the correction replaced the old version in place.
        assert len(full[model]) == 2 * len(day_one[model])
        assert sum(1 for row in full[model] if "corrected" in row) == 1
