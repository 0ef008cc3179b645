"""The alignment dashboard on generated data (1,000 leads, tests/fixtures/semantic_warehouse):
it builds, opens offline in headless Chromium with no JavaScript error and every chart drawn,
a screenshot is taken, and every number plotted equals the metric queries asked afresh."""

import json
import math
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixtures.semantic_warehouse import SemanticWarehouse, build_semantic_warehouse

from revops.dashboard.charts import CHARTS, NONE_LABEL
from revops.dashboard.metrics import MetricEngine, MetricQuery, connect
from revops.dashboard.site import DashboardResult, build_dashboard

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Lets plotly's rendering timers run out before the DOM is dumped or the shot is taken.
    "--virtual-time-budget=10000",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> SemanticWarehouse:
    return build_semantic_warehouse(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def site(warehouse: SemanticWarehouse, tmp_path_factory: pytest.TempPathFactory) -> DashboardResult:
    return build_dashboard(
        tmp_path_factory.mktemp("dashboard"), warehouse.database, warehouse.semantic_manifest
    )


def embedded(index_html: str, kind: str, chart_id: str) -> Any:
    match = re.search(
        rf'<script type="application/json"[^>]* id="{kind}-{chart_id}"[^>]*>(.*?)</script>',
        index_html,
        re.DOTALL,
    )
    assert match, f"{kind} of chart {chart_id} is not embedded"
    return json.loads(match.group(1))


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with the system package manager")
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def same(left: Any, right: Any) -> bool:
    if (
        isinstance(left, (int, float))
        and isinstance(right, (int, float))
        and not isinstance(left, bool)
    ):
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-6)
    return left == right


def test_the_site_is_offline_with_plotly_js_written_once(site: DashboardResult) -> None:
    out_dir = site.index_path.parent
    index_html = site.index_path.read_text()
    assert list(out_dir.rglob("plotly*.js")) == [out_dir / "assets" / "plotly.min.js"]
    assert (out_dir / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert not re.search(r'<script[^>]+src="(https?:)?//', index_html)
    assert "cdn.plot.ly" not in index_html and "cdn.plot.ly" not in site.metrics_path.read_text()
    assert site.chart_count == len(CHARTS) == index_html.count('class="figure-json"')


def test_every_chart_links_to_the_definitions_it_shows(site: DashboardResult) -> None:
    index_html = site.index_path.read_text()
    metrics_html = site.metrics_path.read_text()
    anchors = set(re.findall(r'<dt id="([^"]+)"', metrics_html))
    for chart in CHARTS:
        section = index_html.split(f'<section class="chart" id="{chart.chart_id}">', 1)[1].split(
            "</section>", 1
        )[0]
        linked = set(re.findall(r'href="metrics.html#([^"]+)"', section))
        assert linked, f"chart {chart.chart_id} links to no definition"
        assert linked <= anchors, f"chart {chart.chart_id}: no definition for {linked - anchors}"
        assert linked >= {metric for query in chart.queries for metric in query.metrics} - {
            "handoff_mql_count",
            "handoff_decisions",
        }


def test_headless_chromium_draws_every_chart_without_errors_and_takes_a_screenshot(
    site: DashboardResult, tmp_path: Path
) -> None:
    url = site.index_path.as_uri()
    dom = chromium(
        ["--enable-logging=stderr", "--v=0", "--dump-dom", url], tmp_path / "profile_dom"
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    errors = re.search(r'<pre id="js-errors">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert errors is not None and errors.group(1).strip() == "", errors and errors.group(1)
    assert f'data-rendered="{len(CHARTS)}"' in dom.stdout
    assert dom.stdout.count("js-plotly-plot") >= len(CHARTS)
    console_errors = [
        line
        for line in dom.stderr.splitlines()
        if "CONSOLE" in line and ("Uncaught" in line or "rror" in line)
    ]
    assert not console_errors, console_errors

    shot = tmp_path / "dashboard.png"
    result = chromium(
        [f"--screenshot={shot}", "--window-size=1400,3000", url], tmp_path / "profile_shot"
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1400, 3000)
    # A blank 1400x3000 page compresses to a few kB; eight drawn charts are far larger.
    assert shot.stat().st_size > 100_000
    screenshots = os.environ.get("REVOPS_TEST_SCREENSHOT_DIR")
    if screenshots:
        shutil.copy(shot, Path(screenshots) / "dashboard.png")


def test_each_charts_numbers_equal_the_metric_queries(
    site: DashboardResult, warehouse: SemanticWarehouse
) -> None:
    """Ask every chart's queries again through MetricFlow; the embedded rows must equal them
    and every plotted point must be one of those rows' values."""
    engine = MetricEngine(warehouse.semantic_manifest, warehouse.database)
    index_html = site.index_path.read_text()
    points_checked = 0
    for chart in CHARTS:
        data = embedded(index_html, "data", chart.chart_id)
        figure = embedded(index_html, "figure", chart.chart_id)
        if chart.mart_sql:
            with connect(warehouse.database) as connection:
                cursor = connection.execute(chart.mart_sql)
                names = [column[0] for column in cursor.description]
                fresh = [[dict(zip(names, row, strict=True)) for row in cursor.fetchall()]]
        else:
            fresh = [
                engine.query(MetricQuery(**{key: tuple(value) for key, value in query.items()}))
                for query in data["queries"]
            ]
        assert len(fresh) == len(data["rows"])
        for fresh_rows, embedded_rows in zip(fresh, data["rows"], strict=True):
            assert len(fresh_rows) == len(embedded_rows) > 0, chart.chart_id
            for fresh_row, embedded_row in zip(fresh_rows, embedded_rows, strict=True):
                assert fresh_row.keys() == embedded_row.keys()
                assert all(same(fresh_row[key], embedded_row[key]) for key in fresh_row), (
                    chart.chart_id,
                    fresh_row,
                    embedded_row,
                )
        for trace in figure["data"]:
            meta = trace["meta"]
            rows = fresh[meta["query"]]
            if trace["type"] == "table":
                columns = trace["cells"]["values"]
                for column_name, values in zip(meta["columns"], columns, strict=True):
                    assert [row[column_name] for row in rows] == values
                    points_checked += len(values)
                continue
            if meta["x"] is None:
                assert same(trace["y"][0], rows[0][meta["metric"]])
                points_checked += 1
                continue
            point_keys = trace.get("customdata") or [None] * len(trace["x"])
            for x_value, y_value, point_key in zip(trace["x"], trace["y"], point_keys, strict=True):
                matches = [
                    row
                    for row in rows
                    if (NONE_LABEL if row[meta["x"]] is None else row[meta["x"]]) == x_value
                    and (meta["point_column"] is None or row[meta["point_column"]] == point_key)
                    and all(
                        (NONE_LABEL if row[column] is None else row[column]) == value
                        for column, value in meta["filter"].items()
                    )
                ]
                assert len(matches) == 1, (chart.chart_id, trace["name"], x_value)
                assert same(matches[0][meta["metric"]], y_value) or (
                    matches[0][meta["metric"]] is None and y_value is None
                )
                points_checked += 1
            # Every row of the series is plotted: nothing dropped but undated groups.
            expected = [
                row
                for row in rows
                if all(
                    (NONE_LABEL if row[column] is None else row[column]) == value
                    for column, value in meta["filter"].items()
                )
                and not (meta["x"].startswith("metric_time") and row[meta["x"]] is None)
            ]
            assert len(trace["x"]) == len(expected), (chart.chart_id, trace["name"])
    assert points_checked > 200


def test_revops_dashboard_command_writes_the_site(
    warehouse: SemanticWarehouse, tmp_path: Path
) -> None:
    from revops.cli import main

    out_dir = tmp_path / "site"
    assert (
        main(
            [
                "dashboard",
                "--out",
                str(out_dir),
                "--database",
                str(warehouse.database),
                "--semantic-manifest",
                str(warehouse.semantic_manifest),
            ]
        )
        == 0
    )
    assert (out_dir / "index.html").exists() and (out_dir / "metrics.html").exists()


def test_alignment_dashboard_asset_writes_the_site_into_the_reports_folder(
    warehouse: SemanticWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import materialize

    from orchestration.assets.dashboard import alignment_dashboard

    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(warehouse.database))
    monkeypatch.setenv("REVOPS_REPORTS_DIR", str(tmp_path / "reports"))
    result = materialize([alignment_dashboard])
    assert result.success
    assert (tmp_path / "reports" / "dashboard" / "index.html").exists()
    assert alignment_dashboard.group_names_by_key[alignment_dashboard.key] == "reports"
