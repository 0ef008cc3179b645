"""Landing files -> DuckDB schema raw, with dlt: typed, validated, merged, newest wins.

    report = run_ingestion(landing_dir, duckdb_path, progress=print)
    report.raise_for_errors()

Dagster wraps `build_source` / `build_pipeline` with dagster-dlt (one asset per resource).
See docs/landing-contract.md for the rules.
"""

from revops.ingest.dlt_settings import pipelines_dir
from revops.ingest.errors import (
    DuplicateColumnError,
    IngestError,
    LandingFileError,
    MissingColumnError,
)
from revops.ingest.pipeline import (
    DATASET_NAME,
    PIPELINE_NAME,
    build_pipeline,
    postgres_url_from_env,
    run_ingestion,
)
from revops.ingest.report import IngestReport, TableReport
from revops.ingest.source import SOURCE_NAME, build_source
from revops.ingest.tables import LEDGER_TABLE, QUARANTINE_TABLE

__all__ = [
    "DATASET_NAME",
    "LEDGER_TABLE",
    "PIPELINE_NAME",
    "QUARANTINE_TABLE",
    "SOURCE_NAME",
    "DuplicateColumnError",
    "IngestError",
    "IngestReport",
    "LandingFileError",
    "MissingColumnError",
    "TableReport",
    "build_pipeline",
    "build_source",
    "pipelines_dir",
    "postgres_url_from_env",
    "run_ingestion",
]
