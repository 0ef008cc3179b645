"""The BI copy: the marts published to a read-only DuckDB file once their checks pass."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.assets.transformations import revops_dbt_models
from orchestration.retries import IO_RETRY_POLICY
from revops.paths import duckdb_path
from revops.publish import PUBLISHED_SCHEMAS, NothingToPublishError, bi_path, publish

BI_ASSET_KEY = AssetKey(["bi", "revops_bi"])

# Every published dbt asset is upstream: the copy is made only when all of them materialised
# in this run or earlier and no blocking check on them failed (dbt tests of severity error and
# the gx_block suites are blocking), so BI tools never see marts that failed their checks.
_PUBLISHED_KEYS = sorted(
    (key for key in revops_dbt_models.keys if key.path[0] in PUBLISHED_SCHEMAS),
    key=lambda key: key.to_user_string(),
)


@asset(
    key=BI_ASSET_KEY,
    deps=_PUBLISHED_KEYS,
    group_name="bi",
    kinds={"duckdb"},
    owners=["team:data-platform"],
    retry_policy=IO_RETRY_POLICY,
    description="Read-only copy of the marts and definitions for BI tools "
                "(warehouse/bi/revops_bi.duckdb): built in a temporary file and swapped in with "
                "an atomic rename after the checks pass, so it can be opened during a run and a "
                "failed run leaves the previous copy in place. See docs/orchestration.md.",
)
def revops_bi(context: AssetExecutionContext) -> MaterializeResult:
    try:
        result = publish(duckdb_path(), bi_path(), run_id=context.run_id)
    except NothingToPublishError as error:
        # Not transient: the retry policy is for I/O hiccups, not for a missing build.
        raise Failure(description=str(error), allow_retries=False) from error
    print(f"  publish: {len(result.tables)} tables to {result.path} in {result.seconds:.1f}s",
          flush=True)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(result.path)),
        "tables": len(result.tables),
        "rows": MetadataValue.json(result.tables),
        "seconds": result.seconds,
    })
