"""Landing files -> raw tables: one Dagster asset per raw table, loaded by dlt in one step."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from revops.contract import BY_TABLE, OBJECTS
from revops.ingest import IngestReport, build_pipeline, build_source
from revops.ingest.recovery import clear_interrupted_load
from revops.paths import duckdb_path, landing_dir


def landing_key(table: str) -> AssetKey:
    """The key of the landing-folder asset a raw table is loaded from."""
    return AssetKey(["landing", table])


# The export folders are not built by this project (the CRM and MAP export jobs write them):
# external assets, so the graph starts at the files and the UI shows where each raw table
# comes from. The landing sensor (sensors.py) watches the same folders.
LANDING_FOLDERS = [
    AssetSpec(
        key=landing_key(spec.table),
        group_name="landing",
        description=f"Export files in landing/{spec.landing_path}/ ({spec.description})",
        owners=["team:revops"],
        kinds={"csv", "parquet"},
    )
    for spec in OBJECTS
]


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
            deps=[landing_key(table)] if contract else [],
            group_name="raw",
            description=description,
            owners=["team:data-platform"],
            kinds={"dlt", "duckdb"},
        )


@dlt_assets(
    # This source only describes the assets; each run builds a fresh one (below), because
    # dagster-dlt 0.29.27 alters a source's schema while it reports materialisations and a
    # reused source fails on its second run in one process (KeyError: 'name').
    dlt_source=build_source(landing_dir(), duckdb_path()),
    dlt_pipeline=build_pipeline(duckdb_path()),
    name="landing_to_raw",
    dagster_dlt_translator=RawTableTranslator(),
)
def raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[MaterializeResult]:
    """Load new or changed landing files; a table whose files break the contract fails the step
    with the file and column named, after every other table has loaded."""
    # What a killed run left (its load package, staged batches, ledger rows of a load that
    # never completed) goes before the source reads the ledger, as in `revops ingest`.
    clear_interrupted_load(build_pipeline(duckdb_path()), say=_progress)
    report = IngestReport()
    source = build_source(landing_dir(), duckdb_path(), report=report, progress=_progress)
    results = list(dlt.run(context=context, dlt_source=source))
    failed_keys = {AssetKey(["raw", table]) for table in report.failed_tables}
    for result in results:
        if getattr(result, "asset_key", None) in failed_keys:
            continue
        yield result
    for table in report.tables.values():
        context.log.info(str(table))
    report.raise_for_errors()
