"""Attribution marts built by dbt from generated demo data, and the exact Markov solve.

One module-wide build (~25 s): the generator writes 1,000 leads, the ingestion loads them,
dbt builds everything upstream of the attribution marts without running others' tests, then
builds and tests the attribution models (their unit tests with hand-worked journeys
included). The reconciliation rule checked here is the one the marts document: sums of
unrounded doubles, rounded to the cent once, must be equal.
"""

import csv
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from revops.attribution.markov import (
    conversion_probability,
    removal_effects,
    transition_counts_from_paths,
)
from revops.generate import generate
from revops.ingest import run_ingestion
from revops.paths import PROJECT_DIR

PRESETS_FILE = PROJECT_DIR / "seeds" / "definitions" / "def_attribution_presets.csv"
ATTRIBUTION_MODELS = tuple(
    row["attribution_model"] for row in csv.DictReader(PRESETS_FILE.open(newline=""))
)
ATTRIBUTION_NODES = (
    "def_attribution_presets",
    "def_channel_mapping",
    "path:models/intermediate/attribution",
    "fct_touchpoints",
    "fct_attribution",
    "metrics_attribution",
    "attribution_model_comparison",
)


@dataclass(frozen=True)
class Build:
    upstream: dbtRunnerResult
    attribution: dbtRunnerResult
    database: Path


def query(database: Path, sql: str, *params: Any) -> list[tuple]:
    """Return the rows of a query (a plain connection, closed at once)."""
    with duckdb.connect(str(database)) as connection:
        return connection.execute(sql, list(params)).fetchall()


def dbt(work_dir: Path, *args: str) -> dbtRunnerResult:
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--quiet",
        ]
    )


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    work_dir = tmp_path_factory.mktemp("attribution_marts")
    landing = work_dir / "landing"
    database = work_dir / "revops.duckdb"
    generate(landing, leads=1000, seed=7)
    run_ingestion(landing, database).raise_for_errors()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVOPS_DUCKDB_PATH", str(database))
        # Everything upstream, without the other marts' tests: they are their builds' to judge.
        upstream = dbt(
            work_dir,
            "build",
            "--resource-type",
            "seed",
            "model",
            "--select",
            "definitions",
            "+metrics_attribution",
            "+attribution_model_comparison",
        )
        attribution = dbt(work_dir, "build", "--select", *ATTRIBUTION_NODES)
    return Build(upstream, attribution, database)


def test_the_attribution_marts_build_and_every_test_on_them_passes(build: Build) -> None:
    assert build.upstream.success, build.upstream.exception
    results = build.attribution.result.results
    not_passing = {
        result.node.name: f"{result.status}: {result.message}"
        for result in results
        if str(result.status) not in ("success", "pass")
    }
    assert build.attribution.success, not_passing
    assert not not_passing
    unit_tests = {
        result.node.name for result in results if result.node.resource_type == "unit_test"
    }
    assert len(unit_tests) >= 9
    singular = {
        result.node.name for result in results if result.node.name.startswith("attribution_")
    }
    assert {
        "attribution_credits_sum_to_one",
        "attribution_pipeline_reconciles_with_fct_opportunities",
        "attribution_presets_are_well_formed",
    } <= singular


def test_the_generated_data_has_attributed_and_unattributed_opportunities(build: Build) -> None:
    attributed, unattributed = query(
        build.database,
        """
        select
            count(distinct case when is_attributed then opportunity_id end),
            count(distinct case when not is_attributed then opportunity_id end)
        from marts.fct_attribution
        where attribution_model = 'w_shaped'
    """,
    )[0]
    # Both branches of the reconciliation are exercised, or the test below proves little.
    assert attributed > 50
    assert unattributed > 0


@pytest.mark.parametrize("attribution_model", ATTRIBUTION_MODELS)
def test_each_models_pipeline_reconciles_with_fct_opportunities_to_the_cent(
    build: Build, attribution_model: str
) -> None:
    expected = {
        (quarter, segment): (round(pipeline, 2), round(revenue, 2))
        for quarter, segment, pipeline, revenue in query(
            build.database,
            """
            select
                cast(date_trunc('quarter', created_date) as date),
                coalesce(segment_code, 'unknown'),
                sum(amount_reporting),
                sum(case when is_won then amount_reporting else 0 end)
            from marts.fct_opportunities
            group by all
        """,
        )
    }
    credited = {
        (quarter, segment): (round(pipeline, 2), round(revenue, 2))
        for quarter, segment, pipeline, revenue in query(
            build.database,
            """
            select opportunity_quarter, segment_code, sum(pipeline_credit), sum(revenue_credit)
            from marts.metrics_attribution
            where attribution_model = ?
            group by all
        """,
            attribution_model,
        )
    }
    assert len(expected) > 4
    assert credited == expected


def test_opportunity_counts_are_distinct_opportunities_per_channel_and_campaign(
    build: Build,
) -> None:
    """metrics_attribution sums fct_attribution.counts_opportunity instead of counting distinct
    opportunities; the sums must be those distinct counts, at its grain and coarser."""
    grain = "attribution_model, opportunity_quarter, coalesce(segment_code, 'unknown'), channel, channel_group, coalesce(campaign_id, '')"
    counted = query(
        build.database,
        f"""
        select {grain}, count(distinct opportunity_id)
        from marts.fct_attribution
        group by all
    """,
    )
    summed = query(
        build.database,
        f"""
        select {grain}, opportunity_count
        from marts.metrics_attribution
    """,
    )
    assert len(counted) > 20
    assert sorted(summed) == sorted(counted)
    # Several touches of one opportunity in the same channel and campaign: the case the flag
    # exists for (otherwise a row count would do).
    assert query(
        build.database,
        "select count(*) - sum(case when counts_opportunity then 1 else 0 end) from marts.fct_attribution",
    )[0][0] > 0


@pytest.mark.parametrize("attribution_model", ATTRIBUTION_MODELS)
def test_each_model_credits_every_opportunity_exactly_once(
    build: Build, attribution_model: str
) -> None:
    rows = query(
        build.database,
        """
        select opportunities.opportunity_id, sum(attribution.attribution_credit)
        from marts.fct_opportunities as opportunities
        left join marts.fct_attribution as attribution
            on opportunities.opportunity_id = attribution.opportunity_id
            and attribution.attribution_model = ?
        group by all
    """,
        attribution_model,
    )
    assert rows
    off = [
        (opportunity_id, total)
        for opportunity_id, total in rows
        if total is None or abs(total - 1) > 1e-9
    ]
    assert off == []


def test_the_cmo_and_cro_pipeline_splits_add_up_to_the_same_total(build: Build) -> None:
    rows = query(
        build.database,
        """
        select
            attribution_model,
            sum(pipeline_credit),
            sum(marketing_influenced_pipeline_credit)
                + sum(case when channel = 'unattributed' then pipeline_credit else 0 end),
            sum(marketing_sourced_pipeline_credit) + sum(sales_sourced_pipeline_credit)
                + sum(partner_sourced_pipeline_credit) + sum(unknown_sourced_pipeline_credit)
        from marts.metrics_attribution
        group by attribution_model
    """,
    )
    assert {row[0] for row in rows} == set(ATTRIBUTION_MODELS)
    for model, total, influenced_view, sourced_view in rows:
        assert round(influenced_view, 2) == round(total, 2), model
        assert round(sourced_view, 2) == round(total, 2), model


def test_email_opens_and_sales_touches_earn_no_credit(build: Build) -> None:
    opens = query(
        build.database,
        "select count(*) from marts.fct_touchpoints where activity_type = 'email_open'",
    )
    sales_touches = query(
        build.database, "select count(*) from marts.fct_touchpoints where is_sales_touch"
    )
    sales_credit = query(
        build.database, "select count(*) from marts.fct_attribution where channel = 'sales'"
    )
    assert opens[0][0] == 0
    assert sales_touches[0][0] > 0
    assert sales_credit[0][0] == 0


def test_the_model_comparison_moves_no_credit_against_itself(build: Build) -> None:
    rows = query(
        build.database,
        """
        select attribution_model, sum(pipeline_share), max(credit_moved_vs_model_in_force),
            max(abs(pipeline_share_vs_first_touch)) filter (where attribution_model = 'first_touch')
        from marts.attribution_model_comparison
        group by attribution_model
    """,
    )
    by_model = {model: (share, moved, first) for model, share, moved, first in rows}
    assert set(by_model) == set(ATTRIBUTION_MODELS)
    assert all(abs(share - 1) < 1e-9 for share, _, _ in by_model.values())
    assert by_model["w_shaped"][1] < 1e-12
    assert by_model["first_touch"][2] < 1e-12
    # Models that weigh touches differently do move credit.
    assert by_model["first_touch"][1] > 0.01


def test_the_sql_markov_solve_agrees_with_the_exact_numpy_solve(build: Build) -> None:
    counts = {
        (from_state, to_state): count
        for from_state, to_state, count in query(
            build.database, "select * from intermediate.int_markov_transitions_counted"
        )
    }
    in_sql = {
        channel: (effect, weight)
        for channel, effect, weight in query(
            build.database,
            """
            select channel, removal_effect, channel_weight
            from intermediate.int_markov_removal_effects_computed
        """,
        )
    }
    exact = removal_effects(counts)
    assert len(exact) >= 5
    assert {effect.channel for effect in exact} == set(in_sql)
    for effect in exact:
        assert abs(effect.removal_effect - in_sql[effect.channel][0]) < 1e-9
        assert abs(effect.channel_weight - in_sql[effect.channel][1]) < 1e-9


def test_a_channel_in_every_converting_path_outranks_one_in_none() -> None:
    counts = transition_counts_from_paths(
        [
            (["web", "email"], True),
            (["web"], True),
            (["web", "email"], False),
            (["ads"], False),
            (["ads", "ads"], False),
        ]
    )
    effects = {effect.channel: effect for effect in removal_effects(counts)}
    assert effects["web"].removal_effect == pytest.approx(1.0)
    assert effects["ads"].removal_effect == pytest.approx(0.0)
    assert (
        effects["web"].removal_effect
        > effects["email"].removal_effect
        > effects["ads"].removal_effect
    )
    assert sum(effect.channel_weight for effect in effects.values()) == pytest.approx(1.0)


def test_repeated_channels_are_one_step_and_empty_paths_no_journey() -> None:
    counts = transition_counts_from_paths([(["webinar", "webinar", "email"], True), ([], False)])
    assert counts == {
        ("start", "webinar"): 1,
        ("webinar", "email"): 1,
        ("email", "conversion"): 1,
    }
    assert conversion_probability(counts) == pytest.approx(1.0)


def test_nothing_converting_gives_every_channel_zero_weight() -> None:
    counts = transition_counts_from_paths([(["web"], False), (["email"], False)])
    assert all(effect.channel_weight == 0 for effect in removal_effects(counts))


def test_a_reserved_state_name_as_a_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        transition_counts_from_paths([(["conversion"], True)])


def test_the_quality_check_on_attribution_credits_runs_on_the_real_mart_and_passes(
    build: Build, tmp_path: Path,
) -> None:
    # dbt ran in this process and still holds the DuckDB file: validate a copy of it, from a
    # fresh process.
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(build.database.read_bytes())
    code = (
        "import json, sys\n"
        "from expectations.run import run_suites\n"
        "run = run_suites(sys.argv[1], only=['marts.fct_attribution.block'])\n"
        "print(json.dumps(run.by_name()['attribution_credits_sum_to_one'].as_dict()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(copy)], check=False, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "passed", outcome
    assert outcome["scope_count"] > 0  # it really checked opportunity x model pairs
