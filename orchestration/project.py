"""The dbt project as Dagster sees it, with a manifest guaranteed to exist.

`DbtProject.prepare_if_dev()` only parses under `dagster dev`; the CLI, pytest and CI load
these definitions without it, so a missing manifest is built here with `dbt parse`.
"""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from revops.paths import PROJECT_DIR, duckdb_path

# dbt runs with the dbt project as its working directory: hand it the warehouse as one
# absolute path so dbt and the Python ingestion always open the same DuckDB file.
os.environ.setdefault("REVOPS_DUCKDB_PATH", str(duckdb_path()))

# The dbt executable lives beside this interpreter; a console script started without the
# virtualenv on PATH (`.venv/bin/revops`) must still find it.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
if str(DBT_EXECUTABLE.parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{DBT_EXECUTABLE.parent}{os.pathsep}{os.environ.get('PATH', '')}"

DBT_TARGET = os.environ.get("REVOPS_DBT_TARGET", "duckdb")

revops_dbt_project = DbtProject(
    project_dir=PROJECT_DIR,
    profiles_dir=PROJECT_DIR,
    target=DBT_TARGET,
)


def ensure_manifest(force: bool = False) -> Path:
    """Build target/manifest.json with `dbt parse` when missing (or when forced); return its path."""
    if force or not revops_dbt_project.manifest_path.exists():
        revops_dbt_project.preparer.prepare(revops_dbt_project)
    else:
        revops_dbt_project.prepare_if_dev()
    return revops_dbt_project.manifest_path


ensure_manifest()
