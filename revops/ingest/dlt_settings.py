"""Where dlt keeps its files, and the settings it reads from the environment.

dlt starts its anonymous usage telemetry the first time anything reads the runtime
configuration, which building a source already does; so both build_source and build_pipeline
call configure_dlt() first.
"""

import os
from pathlib import Path

PIPELINE_NAME = "revops_landing"


def configure_dlt() -> None:
    """Set the environment dlt reads its settings from."""
    # No telemetry: runs stay quiet and need no network access.
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    # Empty `raw_staging` after each merge: it would otherwise keep a copy of the last batch
    # (1M rows after a 1M-row file) in the warehouse file. Scoped to this pipeline.
    os.environ.setdefault(f"{PIPELINE_NAME.upper()}__LOAD__TRUNCATE_STAGING_DATASET", "true")


def pipelines_dir(duckdb_path: Path) -> Path:
    """dlt's working folder: beside the warehouse file, one per file (`warehouse/.dlt/<stem>`),
    so pending load packages can never be loaded into another warehouse."""
    duckdb_path = Path(duckdb_path).resolve()
    return duckdb_path.parent / ".dlt" / duckdb_path.stem
