"""The dbt project as Dagster sees it, with a manifest guaranteed to exist.

`DbtProject.prepare_if_dev()` only parses under `dagster dev`; the CLI, pytest and CI load
these definitions without it, so a missing manifest is built here with `dbt parse`.
"""

import hashlib
import json
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


# What a parse reads besides the environment: a change to any of these makes the manifest stale.
_PARSED_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "data-tests")
_PARSE_STAMP = ".revops_parse_stamp"


def _parse_inputs_stamp() -> str:
    """A digest of what the manifest depends on besides file contents: the project folder, the
    target, and every REVOPS_/DBT_ environment variable (hashed, so no password is written)
    but dlt's own settings (`REVOPS_LANDING__...`, set in-process when the ingestion loads)."""
    environment = {
        k: v for k, v in os.environ.items() if k.startswith(("REVOPS_", "DBT_")) and "__" not in k
    }
    text = json.dumps([str(PROJECT_DIR), DBT_TARGET, sorted(environment.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def _newest_project_file() -> float:
    newest = 0.0
    for name in _PARSED_FILES:
        path = PROJECT_DIR / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        for root, _, files in os.walk(path):
            for file in files:
                newest = max(newest, os.stat(os.path.join(root, file)).st_mtime)
    return newest


def manifest_is_current() -> bool:
    """Whether target/manifest.json was parsed after the last change to any project file, with
    the same target and environment."""
    manifest = revops_dbt_project.manifest_path
    stamp = manifest.parent / _PARSE_STAMP
    return (
        manifest.exists()
        and stamp.exists()
        and stamp.read_text() == _parse_inputs_stamp()
        and manifest.stat().st_mtime > _newest_project_file()
    )


def ensure_manifest(force: bool = False) -> Path:
    """Build target/manifest.json (and semantic_manifest.json) with `dbt parse` when missing;
    with `force`, also when it is not current (manifest_is_current). Return its path.

    `revops run` forces: a run must see the models as they are now. A parse costs 10-19 s on
    the 2-core machine (3 s to start dbt, the rest parsing or re-parsing after a change of
    flags), about a fifth of a 600-lead run; skipped when nothing it reads has changed."""
    if not revops_dbt_project.manifest_path.exists() or (force and not manifest_is_current()):
        stamp = _parse_inputs_stamp()
        revops_dbt_project.preparer.prepare(revops_dbt_project)
        (revops_dbt_project.manifest_path.parent / _PARSE_STAMP).write_text(stamp)
    else:
        revops_dbt_project.prepare_if_dev()
    return revops_dbt_project.manifest_path


ensure_manifest()
