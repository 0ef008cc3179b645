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
    # DuckDB's buffer pool while dlt loads and merges: its default (80% of RAM) kept every
    # loaded page cached, so the ingestion's peak RSS grew with the data - 508 MiB at 10,000
    # leads, 1,379 MiB at 100,000 (the load step alone). Capped it pages to the file and
    # spills instead. 256 MB made the merge spill 2 GB at 1M leads; 1 GB took 100,000 leads
    # from 62 s to 51 s (peak 700 -> 1,180 MiB), inside the 4 GiB budget. Scoped to this
    # pipeline; a value set in the environment wins.
    os.environ.setdefault(
        f"{PIPELINE_NAME.upper()}__DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG",
        '{"memory_limit": "1GB"}',
    )


def pipelines_dir(duckdb_path: Path) -> Path:
    """dlt's working folder: beside the warehouse file, one per file (`warehouse/.dlt/<stem>`),
    so pending load packages can never be loaded into another warehouse."""
    duckdb_path = Path(duckdb_path).resolve()
    return duckdb_path.parent / ".dlt" / duckdb_path.stem
