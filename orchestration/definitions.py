"""The Dagster entry point: `dagster dev -m orchestration.definitions`.

Only assembly here; each kind of definition lives in the module named for it.
"""

from dagster import Definitions, in_process_executor

from orchestration.assets import ALL_ASSETS
from orchestration.checks.quality import QUALITY_CHECKS, data_quality_report
from orchestration.jobs import JOBS
from orchestration.resources import RESOURCES
from orchestration.schedules import SCHEDULES
from orchestration.sensors import SENSORS

defs = Definitions(
    assets=[*ALL_ASSETS, data_quality_report],
    asset_checks=QUALITY_CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=RESOURCES,
    # DuckDB takes one writer: the default run stays in one process (see jobs.py).
    executor=in_process_executor,
)
