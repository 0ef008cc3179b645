"""Where things live. Every path is absolute so dbt (which runs from the project dir),
Dagster and the CLI always open the same DuckDB file."""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
DEFINITIONS_DIR = SEEDS_DIR / "definitions"


def landing_dir() -> Path:
    """The landing folder export files arrive in (REVOPS_LANDING_DIR, default ./landing)."""
    return Path(os.environ.get("REVOPS_LANDING_DIR", PROJECT_DIR / "landing")).resolve()


def duckdb_path() -> Path:
    """The embedded warehouse file (REVOPS_DUCKDB_PATH, default ./warehouse/revops.duckdb)."""
    default = PROJECT_DIR / "warehouse" / "revops.duckdb"
    return Path(os.environ.get("REVOPS_DUCKDB_PATH", default)).resolve()


def reports_dir() -> Path:
    """Where reports are written (REVOPS_REPORTS_DIR, default ./reports)."""
    return Path(os.environ.get("REVOPS_REPORTS_DIR", PROJECT_DIR / "reports")).resolve()
