"""The Dagster entry point: `dagster dev -m orchestration.definitions`."""

from dagster import Definitions, in_process_executor

from orchestration.assets.ingestion import raw_tables
from orchestration.assets.transformations import revops_dbt_models
from orchestration.checks.quality import QUALITY_CHECKS, data_quality_report
from orchestration.jobs import JOBS
from orchestration.resources import RESOURCES

defs = Definitions(
    assets=[raw_tables, revops_dbt_models, data_quality_report],
    asset_checks=QUALITY_CHECKS,
    jobs=JOBS,
    resources=RESOURCES,
    # DuckDB takes one writer: the default run stays in one process (see jobs.py).
    executor=in_process_executor,
)
