"""The pipeline and alignment marts on generated data: ~1,000 demo leads, the real ingestion
and one `dbt build` into a DuckDB file under tmp_path.

The expected numbers are computed here from the landing files themselves (the CRM export)
and the definitions seeds, not from any model, so a model that loses, doubles or converts an
opportunity differently fails.
"""

import csv
import gzip
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from revops.definitions import load
from revops.generate import generate
from revops.ingest import run_ingestion
from revops.paths import PROJECT_DIR

LEADS = 1_000
SEED = 7
# The marts under test and everything they read, with the tests of those nodes (cautious:
# only tests whose every parent is built): models other teams are still writing stay out.
PIPELINE_MARTS = (
    "+metrics_funnel",
    "+metrics_sdr_consistency",
    "+alignment_maturity_diagnostic",
)


@dataclass(frozen=True)
class Warehouse:
    database: Path
    landing: Path
    work_dir: Path
    build: dbtRunnerResult


def run_dbt(args: list[str], warehouse_path: Path, work_dir: Path) -> dbtRunnerResult:
    """Run dbt in-process against `warehouse_path`, with target and logs under `work_dir`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVOPS_DUCKDB_PATH", str(warehouse_path))
        options = {
            "--project-dir": PROJECT_DIR,
            "--profiles-dir": PROJECT_DIR,
            "--target": "duckdb",
            "--target-path": work_dir / "target",
            "--log-path": work_dir / "logs",
        }
        flat_options = [str(part) for option in options.items() for part in option]
        return dbtRunner().invoke([*args, *flat_options, "--quiet"])


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database)) as connection:
        return connection.execute(sql).fetchall()


def failures(result: dbtRunnerResult) -> dict[str, str]:
    return {
        node_result.node.name: node_result.message
        for node_result in (result.result.results if result.result else [])
        if str(node_result.status) in ("error", "fail")
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    work_dir = tmp_path_factory.mktemp("pipeline_marts")
    landing = work_dir / "landing"
    database = work_dir / "revops.duckdb"
    generate(landing, leads=LEADS, seed=SEED)
    run_ingestion(landing, database).raise_for_errors()
    build = run_dbt(
        ["build", "--select", *PIPELINE_MARTS, "--indirect-selection", "cautious"],
        database,
        work_dir,
    )
    return Warehouse(database, landing, work_dir, build)


def crm_export_opportunities(landing: Path) -> list[dict[str, str]]:
    """Every opportunity of the CRM export, the latest version of each Id."""
    folder = landing / "crm" / "Opportunity"
    files = sorted(folder.glob("*.csv")) + sorted(folder.glob("*.csv.gz"))
    unreadable = [path.name for path in folder.iterdir() if path not in files]
    assert files and not unreadable, f"export files under {folder}: {unreadable or 'none'}"
    latest: dict[str, dict[str, str]] = {}
    for path in files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                known = latest.get(row["Id"])
                if known is None or row["SystemModstamp"] >= known["SystemModstamp"]:
                    latest[row["Id"]] = row
    return list(latest.values())


def created_utc_date(value: str) -> date:
    """Salesforce's '2025-05-02T18:04:10.000+0000' as a UTC date."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC).date()


def test_the_pipeline_marts_and_everything_they_read_build_on_generated_data(
    warehouse: Warehouse,
) -> None:
    assert warehouse.build.success, failures(warehouse.build)
    built = {result.node.name for result in warehouse.build.result.results}
    assert {
        "fct_opportunities",
        "metrics_funnel",
        "metrics_sdr_consistency",
        "alignment_health",
        "alignment_maturity_diagnostic",
        "assert_pipeline_total_reconciles_with_crm",
    } <= built


def test_every_live_crm_opportunity_is_one_row_of_the_pipeline(warehouse: Warehouse) -> None:
    export = crm_export_opportunities(warehouse.landing)
    live = {row["Id"] for row in export if row["IsDeleted"].strip().lower() != "true"}
    rows = query(warehouse.database, "select opportunity_id from marts.fct_opportunities")
    assert len(rows) == len(live)
    assert {opportunity_id for (opportunity_id,) in rows} == live


def test_the_pipeline_total_equals_the_crm_export_converted_by_hand_to_the_cent(
    warehouse: Warehouse,
) -> None:
    definitions = load()
    export = crm_export_opportunities(warehouse.landing)
    expected = sum(
        float(row["Amount"])
        * float(
            definitions.exchange_rate(
                row["CurrencyIsoCode"].strip(), created_utc_date(row["CreatedDate"])
            )
        )
        for row in export
        if row["IsDeleted"].strip().lower() != "true" and row["Amount"].strip()
    )
    currencies = {row["CurrencyIsoCode"].strip() for row in export}
    # The demo data must exercise the conversion, or this test could not catch a wrong rate.
    assert currencies - {definitions.settings.reporting_currency}, currencies
    [(total,)] = query(
        warehouse.database, "select sum(amount_reporting) from marts.fct_opportunities"
    )
    assert abs(total - expected) < 0.005, (total, expected)


def test_an_opportunity_keeps_its_own_amount_and_currency_beside_the_converted_one(
    warehouse: Warehouse,
) -> None:
    rows = query(
        warehouse.database,
        "select currency_iso_code, count(*), "
        "sum(case when abs(amount * exchange_rate - amount_reporting) < 0.000001 then 1 else 0 end), "
        "min(exchange_rate), max(exchange_rate) "
        "from marts.fct_opportunities group by 1 order by 1",
    )
    for currency, count, consistent, lowest, highest in rows:
        assert consistent == count, currency
        if currency == "USD":
            assert lowest == highest == 1.0
        else:
            # Monthly rates: a currency converted over many months has more than one rate.
            assert lowest != highest, currency


def test_funnel_mql_volume_equals_the_handoff_count_for_both_methods_and_grains(
    warehouse: Warehouse,
) -> None:
    [(handoffs,)] = query(warehouse.database, "select count(*) from marts.fct_handoffs")
    rows = query(
        warehouse.database,
        "select method, period_grain, sum(mql_count) from marts.metrics_funnel "
        "group by 1, 2 order by 1, 2",
    )
    assert handoffs > 0
    assert rows == [
        ("cohort", "month", handoffs),
        ("cohort", "quarter", handoffs),
        ("flow", "month", handoffs),
        ("flow", "quarter", handoffs),
    ]


def test_flow_pipeline_created_adds_up_to_the_whole_pipeline(warehouse: Warehouse) -> None:
    [(pipeline,)] = query(
        warehouse.database, "select sum(amount_reporting) from marts.fct_opportunities"
    )
    [(flow,)] = query(
        warehouse.database,
        "select sum(pipeline_created_amount) from marts.metrics_funnel "
        "where method = 'flow' and period_grain = 'quarter'",
    )
    assert abs(flow - pipeline) < 0.005


def test_the_maturity_diagnostic_answers_every_question_and_finds_one_pipeline_number(
    warehouse: Warehouse,
) -> None:
    rows = query(
        warehouse.database,
        "select question_number, diagnostic_area, answer from marts.alignment_maturity_diagnostic "
        "order by question_number",
    )
    assert [number for number, _, _ in rows] == list(range(1, 9))
    answers = {area: answer for _, area, answer in rows}
    assert answers["one_pipeline_number"] == "yes"
    # The generator plants rejections without a valid reason: never a clean 'yes'.
    assert answers["rejection_reasons"] in ("partial", "no")


def warning_weeks(database: Path) -> int:
    [(count,)] = query(
        database,
        "select count(*) from marts.alignment_health "
        "where period_grain = 'week' and is_where_did_that_lead_go_warning",
    )
    return count


def test_overriding_the_lost_lead_threshold_changes_the_warning_flag(warehouse: Warehouse) -> None:
    indicators = dict(load().settings.raw["leading_indicators"])
    [(weeks_with_lost_leads,)] = query(
        warehouse.database,
        "select count(*) from marts.alignment_health "
        "where period_grain = 'week' and where_did_that_lead_go_count > 0",
    )
    before = warning_weeks(warehouse.database)
    assert weeks_with_lost_leads > before  # else lowering the line could change nothing

    lowered = {"leading_indicators": {**indicators, "where_did_that_lead_go_per_week": 0}}
    try:
        result = run_dbt(
            ["run", "--select", "alignment_health", "--vars", json.dumps(lowered)],
            warehouse.database,
            warehouse.work_dir,
        )
        assert result.success, failures(result)
        assert warning_weeks(warehouse.database) == weeks_with_lost_leads
    finally:
        restored = run_dbt(
            ["run", "--select", "alignment_health"], warehouse.database, warehouse.work_dir
        )
    assert restored.success, failures(restored)
    assert warning_weeks(warehouse.database) == before


def test_sdr_spread_is_max_minus_min_of_the_compared_sdrs(warehouse: Warehouse) -> None:
    rows: list[Any] = query(
        warehouse.database,
        "select quarter_start, segment_code, acceptance_rate, is_in_spread, acceptance_rate_spread "
        "from marts.metrics_sdr_consistency",
    )
    assert rows
    groups: dict[tuple, list] = {}
    for quarter, segment, rate, in_spread, spread in rows:
        groups.setdefault((quarter, segment), []).append((rate, in_spread, spread))
    for key, members in groups.items():
        rates = [rate for rate, in_spread, _ in members if in_spread]
        spreads = {spread for _, _, spread in members}
        assert spreads == ({max(rates) - min(rates)} if rates else {None}), key
