"""The alignment dashboard as an asset: the static site `revops dashboard` writes, rebuilt
after the marts it reads. The logic lives in revops.dashboard; this is the Dagster wrapper."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.project import manifest_is_current, revops_dbt_project
from revops.dashboard.site import build_dashboard
from revops.paths import duckdb_path, reports_dir

# The dbt nodes the semantic models and the maturity table read (keys as RevopsDbtTranslator
# names them: [schema, model]); the metrics are computed from these at build time.
DASHBOARD_DEPS = [
    AssetKey(["marts", "fct_handoffs"]),
    AssetKey(["marts", "fct_opportunities"]),
    AssetKey(["marts", "fct_attribution"]),
    AssetKey(["marts", "fct_rejections"]),
    AssetKey(["marts", "dim_users"]),
    AssetKey(["marts", "dim_campaigns"]),
    AssetKey(["marts", "alignment_maturity_diagnostic"]),
    AssetKey(["intermediate", "int_mql_cohorts_converted"]),
    AssetKey(["main", "metricflow_time_spine"]),
]


@asset(
    name="alignment_dashboard",
    group_name="reports",
    deps=DASHBOARD_DEPS,
    kinds={"html", "plotly"},
    owners=["team:revops"],
    description="Static HTML alignment dashboard (readable offline) in $REVOPS_REPORTS_DIR/dashboard: "
    "every chart a semantic-layer metric, linked to its definition.",
)
def alignment_dashboard(context: AssetExecutionContext) -> MaterializeResult:
    """Write the dashboard from the warehouse; report where it is and how long it took."""
    # The semantic manifest of the parse these definitions were loaded from, when nothing has
    # changed since (`revops run` parses first): parsing again in here took 14.5 s of a
    # 600-lead run.
    semantic_manifest = revops_dbt_project.manifest_path.parent / "semantic_manifest.json"
    if not (semantic_manifest.exists() and manifest_is_current()):
        context.log.info("dashboard: the project's manifest is not current, parsing the project")
        semantic_manifest = None
    result = build_dashboard(reports_dir() / "dashboard", duckdb_path(), semantic_manifest)
    context.log.info(f"dashboard: {result.chart_count} charts in {result.seconds:.1f}s")
    return MaterializeResult(
        metadata={
            "index": MetadataValue.path(str(result.index_path)),
            "metrics": MetadataValue.path(str(result.metrics_path)),
            "charts": result.chart_count,
            "seconds": round(result.seconds, 1),
        }
    )
