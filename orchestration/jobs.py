"""Jobs and their run configuration."""

from dagster import AssetSelection, define_asset_job, in_process_executor


def local_run_config() -> dict:
    """Dagster's console logger at WARNING: the assets print one progress line per file and
    per dbt model themselves, and Dagster's per-event stream would bury them."""
    return {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


# The whole graph in one process: DuckDB takes one writer, and the multiprocess executor
# costs ~2 s per step here (30 small assets: 63 s vs 0.4 s in-process).
everything_job = define_asset_job(
    name="everything",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest landing files, build every dbt model and run every check.",
)

JOBS = [everything_job]
