"""The dlt pipeline that writes schema raw, and the one-call ingestion used by the CLI."""

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import dlt

from revops.ingest.dlt_settings import PIPELINE_NAME, configure_dlt, pipelines_dir
from revops.ingest.report import IngestReport
from revops.ingest.source import build_source

DATASET_NAME = "raw"


def build_pipeline(duckdb_path: Path) -> dlt.Pipeline:
    """The pipeline `revops_landing`: DuckDB at `duckdb_path`, dataset raw."""
    configure_dlt()
    duckdb_path = Path(duckdb_path).resolve()
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str(pipelines_dir(duckdb_path)),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name=DATASET_NAME,
    )


def run_ingestion(
    landing_dir: Path,
    duckdb_path: Path,
    tables: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load new and changed landing files into raw and return what happened per table.

    Tables whose files break the contract (a missing required column) load nothing and are
    listed in `report.failed_tables`; the others load. Call `report.raise_for_errors()` to turn
    those into an exception. A failing dlt load raises.
    """
    started = time.perf_counter()
    report = IngestReport()
    source = build_source(landing_dir, duckdb_path, tables, report=report, progress=progress)
    pipeline = build_pipeline(duckdb_path)
    # A package left by a crashed run is dropped, not retried: its files are not in the
    # committed ledger, so this run reads them again, and the merge makes that harmless.
    pipeline.abort_packages()
    load_info = pipeline.run(source)
    load_info.raise_on_failed_jobs()
    report.seconds = time.perf_counter() - started
    return report
