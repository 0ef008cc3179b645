"""The alignment dashboard's charts: what each one asks the semantic layer, and how its rows
become a plotly figure.

Every trace carries `meta` saying which query, metric, x column and series filter its points
come from, so a test can check each plotted number against the metric query's rows. Groups
MetricFlow returns as null (no owner, no date) are labelled NONE_LABEL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from revops.dashboard.metrics import MetricQuery
from revops.definitions import LeadingIndicators

NONE_LABEL = "(none)"
QUARTER = "metric_time__quarter"
WEEK = "metric_time__week"
STAGES = (
    ("mql_volume", "MQL"),
    ("accepted_mqls", "SAL"),
    ("sql_mqls", "SQL"),
    ("opportunity_mqls", "Opportunity"),
    ("won_mqls", "Won"),
)
STAGE_COLOURS = ("#1565c0", "#42a5f5", "#26a69a", "#ffa726", "#2e7d32")
SDR_FILTERS = (
    "{{ Dimension('handoff__is_mql_criteria_met') }}",
    "{{ Dimension('owner__role') }} = 'sdr'",
    "{{ Dimension('handoff__segment_code') }} is not null",
)
Rows = list[dict[str, Any]]


def label(value: Any) -> Any:
    """Return the value as plotted: null groups get NONE_LABEL."""
    return NONE_LABEL if value is None else value


@dataclass(frozen=True)
class Chart:
    """One figure of the dashboard."""

    chart_id: str
    title: str
    caption: str
    metrics: tuple[str, ...]  # the metric definitions the figure links to
    queries: tuple[MetricQuery, ...]
    draw: Callable[[Sequence[Rows], LeadingIndicators], go.Figure]
    mart_sql: str | None = None  # for figures that show mart rows rather than metrics
    links: tuple[str, ...] = field(default=())  # extra anchors (marts) in metrics.html


def _series(
    figure: go.Figure,
    rows: Rows,
    *,
    query: int,
    metric: str,
    x: str,
    name: str,
    kind: str = "bar",
    series_filter: dict[str, Any] | None = None,
    point_column: str | None = None,
    row: int | None = None,
    col: int | None = None,
    **style: Any,
) -> None:
    """Add one trace: the metric's value for each x among the rows matching series_filter.
    When several rows share an x (one dot per SDR), point_column names what tells them apart;
    its values ride along as the trace's customdata."""
    series_filter = series_filter or {}
    # Time groups MetricFlow returns as null (a rejection the history does not date) have no
    # place on a time axis; a null owner or team is a bar of its own.
    points = [
        item
        for item in rows
        if all(item.get(column) == value for column, value in series_filter.items())
        and not (x in (QUARTER, WEEK) and item.get(x) is None)
    ]
    meta = {
        "query": query,
        "metric": metric,
        "x": x,
        "point_column": point_column,
        "filter": {column: label(value) for column, value in series_filter.items()},
    }
    if point_column:
        style["customdata"] = [label(item[point_column]) for item in points]
        style.setdefault("text", style["customdata"])
    xs = [label(item[x]) for item in points]
    ys = [item[metric] for item in points]
    trace_class = go.Bar if kind == "bar" else go.Scatter
    extra = {} if kind == "bar" else {"mode": style.pop("mode", "lines+markers")}
    trace = trace_class(x=xs, y=ys, name=name, meta=meta, **extra, **style)
    if row is None:
        figure.add_trace(trace)
    else:
        figure.add_trace(trace, row=row, col=col)


def _distinct(rows: Rows, column: str) -> list[Any]:
    return sorted(
        {item[column] for item in rows}, key=lambda value: (value is not None, str(value))
    )


def _layout(figure: go.Figure, title: str, height: int = 420, **layout: Any) -> go.Figure:
    figure.update_layout(
        title=title,
        height=height,
        template="plotly_white",
        margin={"t": 60, "b": 60, "l": 60, "r": 20},
        legend={"orientation": "h", "y": -0.2},
        **layout,
    )
    return figure


def draw_funnel(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    rows = results[0]
    segments = [segment for segment in _distinct(rows, "mql_cohort__segment_code")]
    figure = make_subplots(
        rows=1,
        cols=max(len(segments), 1),
        shared_yaxes=True,
        subplot_titles=[str(segment) for segment in segments],
    )
    for col, segment in enumerate(segments, start=1):
        for (metric, stage), colour in zip(STAGES, STAGE_COLOURS, strict=True):
            _series(
                figure,
                rows,
                query=0,
                metric=metric,
                x=QUARTER,
                name=stage,
                series_filter={"mql_cohort__segment_code": segment},
                row=1,
                col=col,
                legendgroup=stage,
                showlegend=col == 1,
                marker_color=colour,
            )
    return _layout(figure, "Funnel by segment and quarter (MQL cohorts)", barmode="group")


def draw_mql_to_sal(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    overall, by_segment = results
    figure = go.Figure()
    _series(
        figure,
        overall,
        query=0,
        metric="mql_to_sal_rate",
        x=QUARTER,
        name="all segments",
        kind="line",
        line={"width": 4},
    )
    for segment in _distinct(by_segment, "mql_cohort__segment_code"):
        _series(
            figure,
            by_segment,
            query=1,
            metric="mql_to_sal_rate",
            x=QUARTER,
            name=str(segment),
            kind="line",
            series_filter={"mql_cohort__segment_code": segment},
            line={"dash": "dot"},
        )
    figure.add_hline(
        y=indicators.mql_to_sal_healthy_rate,
        line_dash="dash",
        line_color="green",
        annotation_text=f"healthy: {indicators.mql_to_sal_healthy_rate:.0%}",
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(figure, "MQL to SAL acceptance rate by quarter, against the healthy line")


def draw_rejection_reasons(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    rows = [item for item in results[0] if item[QUARTER] is not None]
    figure = go.Figure()
    for reason in _distinct(rows, "rejection__reason"):
        _series(
            figure,
            rows,
            query=0,
            metric="rejections",
            x=QUARTER,
            name=str(label(reason)),
            series_filter={"rejection__reason": reason},
        )
    return _layout(
        figure,
        "Rejections by reason and quarter (missing and outside_taxonomy are the unknown share)",
        barmode="stack",
    )


def draw_sla(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    by_team, by_sdr = results
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.35, 0.65],
        subplot_titles=["by owner team", "by SDR"],
        shared_yaxes=True,
    )
    _series(
        figure,
        by_team,
        query=0,
        metric="sla_compliance_rate",
        x="owner__team",
        name="team",
        row=1,
        col=1,
    )
    _series(
        figure,
        by_sdr,
        query=1,
        metric="sla_compliance_rate",
        x="owner__user_name",
        name="SDR",
        row=1,
        col=2,
    )
    for col in (1, 2):
        figure.add_hline(
            y=indicators.sla_compliance_target,
            line_dash="dash",
            line_color="red",
            row=1,
            col=col,
            annotation_text=f"target {indicators.sla_compliance_target:.0%}",
        )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(
        figure,
        "SLA compliance: share of MQLs first touched within the SLA",
        showlegend=False,
        height=460,
    )


def draw_sdr_spread(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    rows = results[0]
    figure = go.Figure()
    for segment in _distinct(rows, "handoff__segment_code"):
        _series(
            figure,
            rows,
            query=0,
            metric="sdr_acceptance_rate",
            x=QUARTER,
            name=str(segment),
            kind="scatter",
            mode="markers",
            series_filter={"handoff__segment_code": segment},
            point_column="owner__user_name",
            marker={"size": 10, "opacity": 0.7},
            hovertemplate="%{text}: %{y:.0%}",
        )
    figure.update_yaxes(tickformat=".0%", range=[-0.05, 1.05])
    return _layout(
        figure, "SDR acceptance spread: each dot one SDR's accepted / decided comparable MQLs"
    )


def draw_pipeline(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    by_source, totals, by_model = results
    figure = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.25, 0.2, 0.55],
        subplot_titles=[
            "CRM pipeline by who sourced it",
            "one number, three views",
            "pipeline by attribution model",
        ],
    )
    _series(
        figure,
        by_source,
        query=0,
        metric="pipeline_created",
        x="opportunity__sourced_by",
        name="pipeline created",
        row=1,
        col=1,
        showlegend=False,
    )
    for metric, name in (
        ("pipeline_created", "CRM pipeline"),
        ("marketing_sourced_pipeline", "marketing-sourced"),
        ("marketing_influenced_pipeline", "marketing-influenced"),
    ):
        figure.add_trace(
            go.Bar(
                x=[name],
                y=[totals[0][metric] if totals else None],
                name=name,
                showlegend=False,
                meta={"query": 1, "metric": metric, "x": None, "filter": {}},
            ),
            row=1,
            col=2,
        )
    for channel in _distinct(by_model, "attribution_credit__channel"):
        _series(
            figure,
            by_model,
            query=2,
            metric="attributed_pipeline",
            x="attribution_credit__attribution_model",
            name=str(channel),
            series_filter={"attribution_credit__channel": channel},
            row=1,
            col=3,
        )
    return _layout(
        figure,
        "Pipeline by source and by attribution model, side by side",
        barmode="stack",
        height=480,
    )


def draw_leading_indicators(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    weekly, quarterly = results
    weekly = [item for item in weekly if item[WEEK] is not None]
    quarterly = [item for item in quarterly if item[QUARTER] is not None]
    panels = (
        (
            "where_did_that_lead_go",
            "'Where did that lead go?' MQLs a week",
            weekly,
            WEEK,
            0,
            indicators.where_did_that_lead_go_per_week,
            "warning above",
        ),
        (
            "unknown_rejection_reason_share",
            "Rejections without a valid reason",
            quarterly,
            QUARTER,
            1,
            indicators.unknown_rejection_reason_share,
            "warning above",
        ),
        (
            "sla_compliance_rate",
            "SLA compliance",
            quarterly,
            QUARTER,
            1,
            indicators.sla_compliance_target,
            "target",
        ),
        (
            "mql_to_sal_rate",
            "MQL to SAL acceptance",
            quarterly,
            QUARTER,
            1,
            indicators.mql_to_sal_healthy_rate,
            "healthy above",
        ),
    )
    figure = make_subplots(rows=2, cols=2, subplot_titles=[panel[1] for panel in panels])
    for index, (metric, title, rows, x, query, threshold, words) in enumerate(panels):
        row, col = index // 2 + 1, index % 2 + 1
        _series(
            figure,
            rows,
            query=query,
            metric=metric,
            x=x,
            name=title,
            kind="line",
            row=row,
            col=col,
            showlegend=False,
        )
        figure.add_hline(
            y=threshold,
            line_dash="dash",
            line_color="red",
            row=row,
            col=col,
            annotation_text=f"{words} {threshold:g}",
        )
        if metric != "where_did_that_lead_go":
            figure.update_yaxes(tickformat=".0%", row=row, col=col)
    return _layout(
        figure, "Leading indicators that alignment is breaking, with their lines", height=640
    )


def draw_maturity(results: Sequence[Rows], indicators: LeadingIndicators) -> go.Figure:
    rows = results[0]
    colours = {"yes": "#c8e6c9", "partial": "#fff3c4", "no": "#ffcdd2"}
    columns = ("question_number", "question", "answer", "metric_value", "threshold", "evidence")
    figure = go.Figure(
        go.Table(
            columnwidth=[30, 220, 60, 70, 70, 420],
            header={
                "values": ["#", "question", "answer", "measured", "line", "evidence"],
                "fill_color": "#37474f",
                "font": {"color": "white"},
                "align": "left",
            },
            cells={
                "values": [[item[column] for item in rows] for column in columns],
                "fill_color": [
                    ["white"] * len(rows),
                    ["white"] * len(rows),
                    [colours.get(item["answer"], "white") for item in rows],
                    ["white"] * len(rows),
                    ["white"] * len(rows),
                    ["white"] * len(rows),
                ],
                "format": [None, None, None, ".3~f", ".3~f", None],
                "align": "left",
                "height": 48,
            },
            meta={"query": 0, "columns": list(columns)},
        )
    )
    return _layout(figure, "Maturity diagnostic, answered from the data", height=900)


CHARTS: tuple[Chart, ...] = (
    Chart(
        "funnel",
        "Funnel by segment and quarter",
        "Each quarter's MQLs followed to what they became: accepted (SAL), SQL, opportunity, won.",
        (
            "mql_volume",
            "accepted_mqls",
            "sql_mqls",
            "opportunity_mqls",
            "won_mqls",
            "mql_to_sql_rate",
            "sql_to_opportunity_rate",
            "win_rate",
        ),
        (
            MetricQuery(
                tuple(metric for metric, _ in STAGES), (QUARTER, "mql_cohort__segment_code")
            ),
        ),
        draw_funnel,
    ),
    Chart(
        "mql_to_sal",
        "MQL to SAL trend against the 70% line",
        "Healthy looks like above the line and stable for two quarters.",
        ("mql_to_sal_rate",),
        (
            MetricQuery(("mql_to_sal_rate",), (QUARTER,)),
            MetricQuery(("mql_to_sal_rate",), (QUARTER, "mql_cohort__segment_code")),
        ),
        draw_mql_to_sal,
    ),
    Chart(
        "rejection_reasons",
        "Rejection reasons over time",
        "Rejections by the taxonomy's reason code; a missing or invalid code is itself a defect.",
        ("rejections", "unknown_rejection_reason_share"),
        (MetricQuery(("rejections",), (QUARTER, "rejection__reason")),),
        draw_rejection_reasons,
    ),
    Chart(
        "sla",
        "SLA compliance by team and SDR",
        "Share of MQLs whose first sales touch came within the handoff SLA in force.",
        ("sla_compliance_rate",),
        (
            MetricQuery(("sla_compliance_rate", "handoff_mql_count"), ("owner__team",)),
            MetricQuery(
                ("sla_compliance_rate", "handoff_mql_count"),
                ("owner__user_name",),
                ("{{ Dimension('owner__role') }} = 'sdr'",),
            ),
        ),
        draw_sla,
    ),
    Chart(
        "sdr_spread",
        "SDR acceptance spread",
        "Comparable MQLs (criteria met, same segment and quarter): a wide spread is a "
        "definition problem, not a people problem.",
        ("sdr_acceptance_rate",),
        (
            MetricQuery(
                ("sdr_acceptance_rate", "handoff_decisions"),
                (QUARTER, "handoff__segment_code", "owner__user_name"),
                SDR_FILTERS,
            ),
        ),
        draw_sdr_spread,
    ),
    Chart(
        "pipeline",
        "Pipeline by source and by attribution model",
        "One CRM pipeline: who sourced it, what marketing sourced and influenced, and how "
        "each attribution model splits the same total across channels.",
        (
            "pipeline_created",
            "marketing_sourced_pipeline",
            "marketing_influenced_pipeline",
            "attributed_pipeline",
        ),
        (
            MetricQuery(("pipeline_created",), ("opportunity__sourced_by",)),
            MetricQuery(
                ("pipeline_created", "marketing_sourced_pipeline", "marketing_influenced_pipeline")
            ),
            MetricQuery(
                ("attributed_pipeline",),
                ("attribution_credit__attribution_model", "attribution_credit__channel"),
            ),
        ),
        draw_pipeline,
    ),
    Chart(
        "leading_indicators",
        "Leading indicators with their thresholds",
        "Lines come from var leading_indicators in dbt_project.yml.",
        (
            "where_did_that_lead_go",
            "unknown_rejection_reason_share",
            "sla_compliance_rate",
            "mql_to_sal_rate",
        ),
        (
            MetricQuery(("where_did_that_lead_go",), (WEEK,)),
            MetricQuery(
                ("unknown_rejection_reason_share", "sla_compliance_rate", "mql_to_sal_rate"),
                (QUARTER,),
            ),
        ),
        draw_leading_indicators,
    ),
    Chart(
        "maturity",
        "Maturity diagnostic with its evidence",
        "DOMAIN.md's five questions and the leading indicators, answered yes / partial / no.",
        (),
        (),
        draw_maturity,
        mart_sql="""
              select question_number, diagnostic_area, question, answer, metric_value,
                  threshold, evidence
              from marts.alignment_maturity_diagnostic
              order by question_number
          """,
        links=("alignment_maturity_diagnostic",),
    ),
)
