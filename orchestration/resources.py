"""Resources shared by the asset definitions."""

from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from orchestration.project import DBT_EXECUTABLE, DBT_TARGET, revops_dbt_project

RESOURCES = {
    "dbt": DbtCliResource(
        project_dir=revops_dbt_project,
        target=DBT_TARGET,
        dbt_executable=str(DBT_EXECUTABLE),
    ),
    "dlt": DagsterDltResource(),
}
