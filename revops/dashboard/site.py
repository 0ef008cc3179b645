"""Write the alignment dashboard: a static site that opens from disk with no network.

    <out>/index.html         every chart, each with a link to its metric definitions and the
                             `mf query` that reproduces it
    <out>/metrics.html       the metric definitions, generated from the semantic manifest
    <out>/assets/plotly.min.js   plotly.js, written once from the plotly package (no CDN)

Each chart's plotly figure and the rows of its metric queries are embedded as JSON
(<script type="application/json" id="figure-…"> and id="data-…">), so a reader or a test can
take the numbers back out. A small inline script collects JavaScript errors into
<pre id="js-errors">, which headless browser tests read from the DOM.
"""

from __future__ import annotations

import html
import json
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import plotly
import plotly.io
import yaml

from revops.dashboard.charts import CHARTS, Chart
from revops.dashboard.metrics import MetricEngine, connect, parse_semantic_manifest
from revops.definitions import load as load_definitions
from revops.paths import PROJECT_DIR

PLOTLY_ASSET = "assets/plotly.min.js"
# The marts the dashboard reads rows from directly (not through a metric), documented on the
# metrics page from their dbt YAML.
MART_YAML = PROJECT_DIR / "models" / "marts" / "_marts__pipeline.yml"

_ERROR_TRAP = """
<script>
  // Collects JavaScript errors into the page so a headless browser's --dump-dom shows them.
  window.__errors = [];
  function __record(message) {
    window.__errors.push(String(message));
    var box = document.getElementById('js-errors');
    if (box) { box.textContent = window.__errors.join('\\n'); }
  }
  window.addEventListener('error', function (event) { __record('error: ' + event.message); });
  window.addEventListener('unhandledrejection', function (event) { __record('rejection: ' + event.reason); });
  var __consoleError = console.error;
  console.error = function () { __record('console.error: ' + Array.prototype.join.call(arguments, ' ')); __consoleError.apply(console, arguments); };
</script>
"""

_RENDER = """
<script>
  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('js-errors').textContent = window.__errors.join('\\n');
    var rendered = 0;
    document.querySelectorAll('script.figure-json').forEach(function (node) {
      try {
        var figure = JSON.parse(node.textContent);
        var target = document.getElementById(node.dataset.target);
        Plotly.newPlot(target, figure.data, figure.layout, {displaylogo: false, responsive: true, staticPlot: false});
        rendered += 1;
      } catch (problem) { __record('render ' + node.dataset.target + ': ' + problem); }
    });
    document.body.dataset.rendered = String(rendered);
  });
</script>
"""

_STYLE = """
<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1320px; padding: 16px; color: #263238; }
  section.chart { border-top: 1px solid #cfd8dc; padding: 12px 0 24px; }
  .caption { color: #546e7a; margin: 4px 0; }
  .links a { margin-right: 10px; }
  code { background: #eceff1; padding: 1px 4px; font-size: 12px; }
  pre#js-errors { color: #b71c1c; }
  dl dt { font-weight: bold; margin-top: 18px; }
  table.defs { border-collapse: collapse; } table.defs td, table.defs th { border: 1px solid #cfd8dc; padding: 4px 8px; text-align: left; }
</style>
"""


@dataclass(frozen=True)
class DashboardResult:
    """What `build_dashboard` wrote, and how long it took."""

    index_path: Path
    metrics_path: Path
    chart_count: int
    seconds: float


def _json_for_script(value: Any) -> str:
    """Return JSON safe to place inside a <script> element."""
    return json.dumps(value, default=str).replace("</", "<\\/")


def _page(title: str, body: str, error_trap: bool = True) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>{_STYLE}"
        f"{_ERROR_TRAP if error_trap else ''}"
        f'<script src="{PLOTLY_ASSET}"></script></head>\n<body>\n{body}\n'
        '<pre id="js-errors"></pre>\n'
        f"{_RENDER if error_trap else ''}</body></html>\n"
    )


def _chart_section(chart: Chart, figure_json: str, data: dict[str, Any]) -> str:
    anchors = [*chart.metrics, *chart.links]
    links = " ".join(
        f'<a href="metrics.html#{html.escape(anchor)}">{html.escape(anchor)}</a>'
        for anchor in anchors
    )
    commands = "".join(
        f"<div><code>{html.escape(query.mf_command())}</code></div>" for query in chart.queries
    )
    if chart.mart_sql:
        commands += f"<div><code>{html.escape(' '.join(chart.mart_sql.split()))}</code></div>"
    return (
        f'<section class="chart" id="{chart.chart_id}">\n'
        f"<h2>{html.escape(chart.title)}</h2>\n"
        f'<p class="caption">{html.escape(chart.caption)}</p>\n'
        f'<p class="links">Definitions: {links}</p>\n'
        f'<div id="chart-{chart.chart_id}" class="plot"></div>\n'
        f"<details><summary>Queries</summary>{commands}</details>\n"
        f'<script type="application/json" class="figure-json" id="figure-{chart.chart_id}" '
        f'data-target="chart-{chart.chart_id}">{figure_json}</script>\n'
        f'<script type="application/json" id="data-{chart.chart_id}">{_json_for_script(data)}</script>\n'
        "</section>"
    )


def _metrics_page(engine: MetricEngine) -> str:
    measures = engine.measures()
    intro = (
        "<p>Generated from the dbt semantic manifest (models/semantic/). Ask any of them with "
        "<code>mf query --metrics NAME --group-by metric_time__quarter</code>; see "
        'docs/semantic-layer.md. <a href="index.html">Back to the dashboard</a>.</p><dl>'
    )
    parts = ["<h1>Metric definitions</h1>", intro]
    for metric in engine.metric_definitions():
        name = metric["name"]
        params = metric.get("type_params") or {}
        if metric["type"] == "ratio":
            formula = (
                f'<a href="#{params["numerator"]["name"]}">{params["numerator"]["name"]}</a> / '
                f'<a href="#{params["denominator"]["name"]}">{params["denominator"]["name"]}</a>'
            )
        else:
            measure_name = (params.get("measure") or {}).get("name", "")
            model, measure = measures.get(measure_name, ("?", {}))
            formula = (
                f"{html.escape(str(measure.get('agg', '')))}({html.escape(str(measure.get('expr') or measure_name))})"
                f" over semantic model <code>{html.escape(model)}</code>"
            )
        parts.append(
            f'<dt id="{html.escape(name)}">{html.escape(metric.get("label") or name)} '
            f"<code>{html.escape(name)}</code></dt>"
            f"<dd><p>{html.escape(metric.get('description') or '')}</p>"
            f"<p>{html.escape(metric['type'])}: {formula}</p></dd>"
        )
    parts.append("</dl><h2>Marts shown directly</h2><dl>")
    marts = {
        model["name"]: model
        for model in (yaml.safe_load(MART_YAML.read_text()) or {}).get("models", [])
    }
    for chart in CHARTS:
        for mart in chart.links:
            model = marts.get(mart, {})
            columns = "".join(
                f"<tr><td><code>{html.escape(column['name'])}</code></td>"
                f"<td>{html.escape(' '.join(str(column.get('description', '')).split()))}</td></tr>"
                for column in model.get("columns", [])
            )
            parts.append(
                f'<dt id="{html.escape(mart)}">{html.escape(mart)}</dt>'
                f"<dd><p>{html.escape(' '.join(str(model.get('description', '')).split()))}</p>"
                f'<table class="defs">{columns}</table></dd>'
            )
    parts.append("</dl>")
    return _page("Metric definitions", "\n".join(parts), error_trap=False)


def chart_data(engine: MetricEngine, chart: Chart) -> dict[str, Any]:
    """Return what a chart plots: its queries and their rows (metric queries, or the mart's)."""
    if chart.mart_sql:
        with connect(engine.database) as connection:
            cursor = connection.execute(chart.mart_sql)
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return {"queries": [{"sql": " ".join(chart.mart_sql.split())}], "rows": [rows]}
    return {
        "queries": [query.to_json() for query in chart.queries],
        "rows": [engine.query(query) for query in chart.queries],
    }


def build_dashboard(
    out_dir: Path,
    database: Path,
    semantic_manifest: Path | None = None,
) -> DashboardResult:
    """Write the site into `out_dir` from the warehouse `database`; parse the dbt project for
    the semantic manifest unless one is given. Returns the pages written and the time taken."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    (out_dir / "assets").mkdir(parents=True, exist_ok=True)
    if semantic_manifest is None:
        # The engine reads the manifest when built, so the parse folder can go right after.
        with tempfile.TemporaryDirectory(prefix="revops_semantic_") as parse_dir:
            engine = MetricEngine(parse_semantic_manifest(Path(parse_dir), database), database)
    else:
        engine = MetricEngine(semantic_manifest, database)
    indicators = load_definitions().settings.leading_indicators

    asset = out_dir / PLOTLY_ASSET
    asset.write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")

    sections = []
    for chart in CHARTS:
        data = chart_data(engine, chart)
        figure = chart.draw(data["rows"], indicators)
        figure_json = plotly.io.to_json(figure, validate=True).replace("</", "<\\/")
        sections.append(_chart_section(chart, figure_json, data))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    contents = "".join(
        f'<li><a href="#{chart.chart_id}">{html.escape(chart.title)}</a></li>' for chart in CHARTS
    )
    body = (
        "<h1>Marketing-sales alignment</h1>\n"
        f'<p class="caption">Generated {generated} from <code>{html.escape(database.name)}</code>; '
        f"plotly.js {plotly.__version__} bundled, readable offline. Every number is a metric of the "
        'semantic layer (<a href="metrics.html">definitions</a>).</p>\n'
        f"<ul>{contents}</ul>\n" + "\n".join(sections)
    )
    index_path = out_dir / "index.html"
    index_path.write_text(_page("Marketing-sales alignment", body), encoding="utf-8")
    metrics_path = out_dir / "metrics.html"
    metrics_path.write_text(_metrics_page(engine), encoding="utf-8")
    return DashboardResult(index_path, metrics_path, len(CHARTS), time.perf_counter() - started)
