"""Landing files -> raw tables: one Dagster asset per raw table, loaded by dlt in one step."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from revops.contract import BY_TABLE
from revops.ingest import IngestReport, build_pipeline, build_source
from revops.paths import duckdb_path, landing_dir

# Filled while dlt extracts: per-table counts and the contract errors that fail a table.
INGEST_REPORT = IngestReport()


def _progress(message: str) -> None:
    print(f"  ingest: {message}", flush=True)


class RawTableTranslator(DagsterDltTranslator):
    """Keys raw/<table> (the keys the dbt sources point at), grouped as the raw layer."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        table = data.resource.name
        contract = BY_TABLE.get(table)
        description = (
            f"{contract.description} Loaded from landing/{contract.landing_path}/; "
            f"merged on {contract.primary_key}, newest {contract.version_column} wins."
            if contract
            else f"Ingestion bookkeeping table raw.{table}."
        )
        return spec.replace_attributes(
            key=AssetKey(["raw", table]),
            deps=[],
            group_name="raw",
            description=description,
            owners=["team:data-platform"],
            kinds={"dlt", "duckdb"},
        )


@dlt_assets(
    dlt_source=build_source(landing_dir(), duckdb_path(), report=INGEST_REPORT, progress=_progress),
    dlt_pipeline=build_pipeline(duckdb_path()),
    name="landing_to_raw",
    dagster_dlt_translator=RawTableTranslator(),
)
def raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[MaterializeResult]:
    """Load new or changed landing files; a table whose files break the contract fails the step
    with the file and column named, after every other table has loaded."""
    results = list(dlt.run(context=context))
    failed_keys = {AssetKey(["raw", table]) for table in INGEST_REPORT.failed_tables}
    for result in results:
        if getattr(result, "asset_key", None) in failed_keys:
            continue
        yield result
    for table in INGEST_REPORT.tables.values():
        context.log.info(str(table))
    INGEST_REPORT.raise_for_errors()
