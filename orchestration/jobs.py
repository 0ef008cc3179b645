"""Jobs and their run configuration."""

from dagster import AssetSelection, define_asset_job, in_process_executor, multiprocess_executor


def local_run_config() -> dict:
    """Dagster's console logger at WARNING: the assets print one progress line per file and
    per dbt model themselves, and Dagster's per-event stream would bury them."""
    return {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def with_dbt_config(base: dict, dbt_config: dict | None) -> dict:
    """Return `base` with the dbt step's config (orchestration DbtBuildConfig) added when
    there is one."""
    if not dbt_config:
        return base
    from orchestration.assets.transformations import revops_dbt_models

    return {**base, "ops": {revops_dbt_models.op.name: {"config": dbt_config}}}


def data_run_config() -> dict:
    """The run config of the runs new data starts (daily schedule, landing sensor): the local
    one, and the dbt step without unit tests."""
    return with_dbt_config(local_run_config(), {"unit_tests": False})


# The whole graph in one process: DuckDB takes one writer, and the multiprocess executor
# costs ~2 s per step here (30 small assets: 63 s vs 0.4 s in-process).
everything_job = define_asset_job(
    name="everything",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest landing files, build every dbt model, run every check and publish the "
                "BI copy, in one process.",
)

# For deployments that scale out (PostgreSQL or Spark targets, a run launcher with more
# cores): one process per step. max_concurrent stays 1 because the DuckDB target accepts one
# writer ("Could not set lock on file" with two); raise it in the launchpad on a server target.
everything_multiprocess_job = define_asset_job(
    name="everything_multiprocess",
    selection=AssetSelection.all(),
    executor_def=multiprocess_executor.configured({"max_concurrent": 1}),
    description="The same graph, one process per step (~2 s extra per step): for server "
                "targets and run launchers that scale out.",
)

JOBS = [everything_job, everything_multiprocess_job]
