"""The semantic layer on generated data: every metric, asked through MetricFlow (its planner
and DuckDB renderer, as `mf query` uses them), equals the same figure computed from the marts
with plain SQL - metrics_funnel, alignment_health, metrics_attribution, metrics_sdr_consistency,
or the fct_/dim_ tables where no metrics_ mart has the slice (owner, channel).

One `mf query` through the real CLI proves the command works on DuckDB; `dbt docs generate`
proves the exposures and the semantic nodes document.
"""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fixtures.semantic_warehouse import SemanticWarehouse, build_semantic_warehouse, run_dbt

from revops.dashboard.metrics import MetricEngine, MetricQuery, connect
from revops.paths import PROJECT_DIR

QUARTER = "metric_time__quarter"
# Every metric the issue names, so a metric dropped from the YAML fails here.
ISSUE_METRICS = {
    "mql_volume",
    "mql_to_sal_rate",
    "mql_to_sql_rate",
    "sql_to_opportunity_rate",
    "win_rate",
    "pipeline_created",
    "marketing_sourced_pipeline",
    "marketing_influenced_pipeline",
    "pipeline_coverage",
    "sla_compliance_rate",
    "mql_rejection_rate",
    "unknown_rejection_reason_share",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> SemanticWarehouse:
    return build_semantic_warehouse(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def engine(warehouse: SemanticWarehouse) -> MetricEngine:
    return MetricEngine(warehouse.semantic_manifest, warehouse.database)


def sql_rows(warehouse: SemanticWarehouse, sql: str) -> list[dict[str, Any]]:
    with connect(warehouse.database) as connection:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def keyed(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple, dict[str, Any]]:
    return {
        tuple(str(row[key]) if row[key] is not None else None for key in keys): row for row in rows
    }


def same_number(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-6)


def assert_metrics_equal_marts(
    engine: MetricEngine,
    warehouse: SemanticWarehouse,
    metric_query: MetricQuery,
    mart_sql: str,
    keys: tuple[str, ...],
) -> int:
    """Assert MetricFlow's rows equal the mart query's, key by key and metric by metric (the
    mart SQL names its columns like the metrics and the group-by). Returns the rows compared."""
    from_metricflow = keyed(engine.query(metric_query), keys)
    from_marts = keyed(sql_rows(warehouse, mart_sql), keys)
    assert from_metricflow.keys() == from_marts.keys(), (
        f"{metric_query.mf_command()}: groups differ: only MetricFlow "
        f"{sorted(from_metricflow.keys() - from_marts.keys(), key=str)[:5]}, only marts "
        f"{sorted(from_marts.keys() - from_metricflow.keys(), key=str)[:5]}"
    )
    mismatches = [
        (key, metric, from_metricflow[key][metric], from_marts[key][metric])
        for key in from_marts
        for metric in metric_query.metrics
        if not same_number(from_metricflow[key][metric], from_marts[key][metric])
    ]
    assert not mismatches, f"{metric_query.mf_command()}: {mismatches[:5]}"
    assert from_marts, f"{metric_query.mf_command()}: no rows to compare; the test proves nothing"
    return len(from_marts)


def test_every_metric_the_issue_names_is_defined_with_a_description(engine: MetricEngine) -> None:
    defined = {metric["name"]: metric for metric in engine.metric_definitions()}
    assert ISSUE_METRICS <= defined.keys(), ISSUE_METRICS - defined.keys()
    assert all(metric["description"] and metric["label"] for metric in defined.values())


def test_the_semantic_manifest_passes_metricflows_validations(warehouse: SemanticWarehouse) -> None:
    """What `mf validate-configs --skip-dw` checks: entities join, names are unique, every
    ratio's numerator and denominator exist, a time spine is configured."""
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    manifest = parse_manifest_from_dbt_generated_manifest(warehouse.semantic_manifest.read_text())
    results = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not results.all_issues, [issue.as_readable_str() for issue in results.all_issues]


@pytest.mark.parametrize("slice_column", ["segment_code", "lead_source"])
def test_cohort_funnel_metrics_equal_metrics_funnel_by_quarter(
    engine: MetricEngine, warehouse: SemanticWarehouse, slice_column: str
) -> None:
    metric_query = MetricQuery(
        (
            "mql_volume",
            "accepted_mqls",
            "sql_mqls",
            "opportunity_mqls",
            "won_mqls",
            "mql_to_sal_rate",
            "mql_to_sql_rate",
            "sql_to_opportunity_rate",
            "win_rate",
        ),
        (QUARTER, f"mql_cohort__{slice_column}"),
    )
    mart_sql = f"""
        select
            period_start as {QUARTER},
            {slice_column} as mql_cohort__{slice_column},
            sum(mql_count) as mql_volume,
            sum(sal_count) as accepted_mqls,
            sum(sql_count) as sql_mqls,
            sum(opportunity_count) as opportunity_mqls,
            sum(won_count) as won_mqls,
            sum(sal_count) / nullif(sum(mql_count), 0) as mql_to_sal_rate,
            sum(sql_count) / nullif(sum(mql_count), 0) as mql_to_sql_rate,
            sum(opportunity_count) / nullif(sum(sql_count), 0) as sql_to_opportunity_rate,
            sum(won_count) / nullif(sum(won_count) + sum(lost_count), 0) as win_rate
        from marts.metrics_funnel
        where method = 'cohort' and period_grain = 'quarter'
        group by all
    """
    assert_metrics_equal_marts(
        engine, warehouse, metric_query, mart_sql, (QUARTER, f"mql_cohort__{slice_column}")
    )


def test_pipeline_created_and_coverage_equal_metrics_funnel_flow_by_quarter_and_segment(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    metric_query = MetricQuery(
        ("pipeline_created", "open_pipeline_due", "won_revenue", "pipeline_coverage"),
        (QUARTER, "opportunity__segment_code"),
    )
    # A quarter and segment appears in the funnel when anything happened in it; MetricFlow
    # lists it when a deal was created or closes in it, so compare where the funnel has money.
    mart_sql = f"""
        select
            period_start as {QUARTER},
            segment_code as opportunity__segment_code,
            sum(pipeline_created_amount) as pipeline_created,
            sum(open_pipeline_amount) as open_pipeline_due,
            sum(won_amount) as won_revenue,
            sum(open_pipeline_amount) / nullif(sum(won_amount), 0) as pipeline_coverage
        from marts.metrics_funnel
        where method = 'flow' and period_grain = 'quarter'
        group by all
        having sum(pipeline_created_amount) <> 0 or sum(open_pipeline_amount) <> 0
            or sum(won_amount) <> 0
    """
    from_metricflow = engine.query(metric_query)
    with_money = [
        row
        for row in from_metricflow
        if any(row[metric] for metric in ("pipeline_created", "open_pipeline_due", "won_revenue"))
    ]
    from_marts = keyed(sql_rows(warehouse, mart_sql), metric_query.group_by)
    assert keyed(with_money, metric_query.group_by).keys() == from_marts.keys()
    for key, row in keyed(with_money, metric_query.group_by).items():
        for metric in metric_query.metrics:
            expected = from_marts[key][metric]
            actual = row[metric]
            if metric != "pipeline_coverage":
                actual, expected = actual or 0, expected or 0
            assert same_number(actual, expected), (key, metric, actual, expected)


def test_pipeline_numbers_equal_alignment_health_by_quarter(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    metric_query = MetricQuery(
        (
            "pipeline_created",
            "opportunities_created_count",
            "marketing_sourced_pipeline",
            "marketing_influenced_pipeline",
        ),
        (QUARTER,),
    )
    mart_sql = f"""
        select
            period_start as {QUARTER},
            crm_pipeline_amount as pipeline_created,
            crm_opportunity_count as opportunities_created_count,
            marketing_sourced_pipeline_amount as marketing_sourced_pipeline,
            influenced_pipeline_amount as marketing_influenced_pipeline
        from marts.alignment_health
        where period_grain = 'quarter' and crm_opportunity_count > 0
    """
    assert_metrics_equal_marts(engine, warehouse, metric_query, mart_sql, (QUARTER,))


def test_handoff_and_rejection_indicators_equal_alignment_health_by_quarter(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    handoff_query = MetricQuery(
        (
            "handoff_mql_count",
            "sla_compliance_rate",
            "mql_rejection_rate",
            "handoff_accepted_mqls_count",
            "where_did_that_lead_go",
        ),
        (QUARTER,),
    )
    handoff_sql = f"""
        select
            period_start as {QUARTER},
            mql_count as handoff_mql_count,
            sla_compliance_rate,
            mql_rejection_rate,
            accepted_mql_count as handoff_accepted_mqls_count,
            where_did_that_lead_go_count as where_did_that_lead_go
        from marts.alignment_health
        where period_grain = 'quarter' and mql_count > 0
    """
    assert_metrics_equal_marts(engine, warehouse, handoff_query, handoff_sql, (QUARTER,))
    rejection_query = MetricQuery(
        ("rejections", "unknown_reason_rejections", "unknown_rejection_reason_share"),
        (QUARTER,),
        # alignment_health dates rejections by rejected_at; one the history lacks has no period.
        ("{{ TimeDimension('rejection__rejected_at', 'day') }} is not null",),
    )
    rejection_sql = f"""
        select
            period_start as {QUARTER},
            rejection_count as rejections,
            unknown_reason_rejection_count as unknown_reason_rejections,
            unknown_rejection_reason_share
        from marts.alignment_health
        where period_grain = 'quarter' and rejection_count > 0
    """
    assert_metrics_equal_marts(engine, warehouse, rejection_query, rejection_sql, (QUARTER,))


def test_weekly_where_did_that_lead_go_equals_alignment_health_weeks(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    metric_query = MetricQuery(
        ("where_did_that_lead_go", "handoff_mql_count"), ("metric_time__week",)
    )
    mart_sql = """
        select period_start as metric_time__week, where_did_that_lead_go_count as where_did_that_lead_go,
            mql_count as handoff_mql_count
        from marts.alignment_health
        where period_grain = 'week' and mql_count > 0
    """
    assert_metrics_equal_marts(engine, warehouse, metric_query, mart_sql, ("metric_time__week",))


def test_attributed_pipeline_equals_metrics_attribution_by_model_and_channel(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    keys = ("attribution_credit__attribution_model", "attribution_credit__channel")
    metric_query = MetricQuery(("attributed_pipeline",), keys)
    mart_sql = """
        select attribution_model as attribution_credit__attribution_model,
            channel as attribution_credit__channel, sum(pipeline_credit) as attributed_pipeline
        from marts.metrics_attribution
        group by all
    """
    assert assert_metrics_equal_marts(engine, warehouse, metric_query, mart_sql, keys) > 10


def test_sdr_acceptance_rate_equals_metrics_sdr_consistency(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    keys = (QUARTER, "handoff__segment_code", "owner")
    metric_query = MetricQuery(
        ("sdr_acceptance_rate", "handoff_decisions"),
        keys,
        (
            "{{ Dimension('handoff__is_mql_criteria_met') }}",
            "{{ Dimension('owner__role') }} = 'sdr'",
            "{{ Dimension('handoff__segment_code') }} is not null",
        ),
    )
    mart_sql = f"""
        select quarter_start as {QUARTER}, segment_code as handoff__segment_code,
            sdr_user_id as owner, acceptance_rate as sdr_acceptance_rate,
            decision_count as handoff_decisions
        from marts.metrics_sdr_consistency
    """
    assert_metrics_equal_marts(engine, warehouse, metric_query, mart_sql, keys)


def test_owner_and_channel_slices_equal_the_fact_tables(
    engine: MetricEngine, warehouse: SemanticWarehouse
) -> None:
    sla_query = MetricQuery(("sla_compliance_rate", "mql_rejection_rate"), ("owner__team",))
    sla_sql = """
        select users.team as owner__team,
            avg(case when handoffs.is_within_sla then 1.0 else 0.0 end) as sla_compliance_rate,
            avg(case when handoffs.outcome = 'rejected' then 1.0 else 0.0 end) as mql_rejection_rate
        from marts.fct_handoffs as handoffs
        left join marts.dim_users as users on handoffs.owner_user_id = users.user_id
        group by all
    """
    assert_metrics_equal_marts(engine, warehouse, sla_query, sla_sql, ("owner__team",))
    channel_query = MetricQuery(
        ("unknown_rejection_reason_share", "rejections"), ("campaign__channel",)
    )
    channel_sql = """
        select case when rejections.campaign_id is null then null
                else coalesce(campaigns.channel, 'none') end as campaign__channel,
            avg(case when rejections.is_reason_valid then 0.0 else 1.0 end)
                as unknown_rejection_reason_share,
            count(*) as rejections
        from marts.fct_rejections as rejections
        left join marts.dim_campaigns as campaigns on rejections.campaign_id = campaigns.campaign_id
        group by all
    """
    assert_metrics_equal_marts(
        engine, warehouse, channel_query, channel_sql, ("campaign__channel",)
    )


def test_mf_query_cli_answers_on_duckdb(warehouse: SemanticWarehouse, tmp_path: Path) -> None:
    """`mf` reads <project>/target/semantic_manifest.json: a folder that links the project's
    files and holds the test's own target stands in for the project root."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "data-tests"):
        (project / name).symlink_to(PROJECT_DIR / name)
    (project / "target").mkdir()
    shutil.copy(warehouse.semantic_manifest, project / "target" / "semantic_manifest.json")
    # This process holds the warehouse open (dbt ran in-process): mf gets a checkpointed copy.
    database = tmp_path / "revops.duckdb"
    with connect(warehouse.database) as connection:
        connection.execute("checkpoint")
    shutil.copy(warehouse.database, database)
    mf = Path(sys.executable).parent / "mf"
    result = subprocess.run(
        [
            str(mf),
            "query",
            "--metrics",
            "mql_volume,mql_to_sal_rate",
            "--group-by",
            "metric_time__year",
            "--csv",
            str(tmp_path / "out.csv"),
        ],
        cwd=project,
        env={**os.environ, "REVOPS_DUCKDB_PATH": str(database)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = (tmp_path / "out.csv").read_text().splitlines()
    total = sql_rows(warehouse, "select count(*) as mqls from marts.fct_handoffs")[0]["mqls"]
    assert "mql_volume" in lines[0] and len(lines) > 1
    volume_column = lines[0].split(",").index("mql_volume")
    assert sum(int(line.split(",")[volume_column]) for line in lines[1:]) == total


def test_dbt_docs_generate_builds_with_the_dashboard_exposure(
    warehouse: SemanticWarehouse, tmp_path: Path
) -> None:
    import json

    target = tmp_path / "docs_target"
    run_dbt(["docs", "generate"], warehouse.database, target)
    manifest = json.loads((target / "manifest.json").read_text())
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert "alignment_dashboard" in exposures
    depends = set(exposures["alignment_dashboard"]["depends_on"]["nodes"])
    assert "model.revops.alignment_health" in depends
    assert "metric.revops.mql_to_sal_rate" in depends
    assert (target / "index.html").exists() and (target / "catalog.json").exists()
    assert any(node.startswith("semantic_model.") for node in manifest["semantic_models"])
