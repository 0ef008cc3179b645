"""The data-quality suites on generated data: the report's violation counts equal the
generator's manifest for every deviation kind, a clean dataset passes every expectation, a
changed threshold changes the suite and the result, and the report shows the gap table.

Two module-wide builds (~25 s each on the shared 2-core machine): 1,000 leads with the
generator's deviations and 500 without, each generated, ingested and built by dbt (only the
marts the suites read, and everything upstream; no dbt tests - other test modules run them).
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The editable install predates the `expectations` package (`pip install -e .` maps it);
# until it is re-run, import the package from the project root.
if importlib.util.find_spec("expectations") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from expectations.report import write_report
from expectations.results import load_outcomes, run_results_dir, save_outcomes
from expectations.run import RunResult, all_rules, run_suites, suite_specs
from expectations.suites import GROUPS
from revops.definitions import DBT_PROJECT_FILE, load
from revops.generate import generate
from revops.ingest import run_ingestion
from revops.paths import DEFINITIONS_DIR, PROJECT_DIR

# The marts the suites verify (fct_attribution is optional: "not built yet" when absent).
MARTS = ("fct_handoffs", "fct_lead_lifecycle", "fct_lifecycle_events", "fct_rejections",
         "fct_opportunities", "dim_accounts")
REQUIRED_GROUPS = ("ICP", "MQL", "SLA", "rejections", "routing", "pipeline")


@dataclass(frozen=True)
class Warehouse:
    database: Path
    manifest: dict[str, Any]
    run: RunResult


def _build(work_dir: Path, leads: int, deviations: bool) -> Warehouse:
    landing = work_dir / "landing"
    database = work_dir / "revops.duckdb"
    manifest = generate(landing, leads=leads, seed=7, deviations=deviations)
    run_ingestion(landing, database).raise_for_errors()
    # dbt in its own process, as Dagster runs it: an in-process dbt-duckdb keeps the file
    # open with a configuration GX's connection cannot share.
    done = subprocess.run([
        str(Path(sys.executable).parent / "dbt"),
        "build", "--select", "definitions", *(f"+{mart}" for mart in MARTS),
        "--exclude", "resource_type:test", "resource_type:unit_test",
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        "--quiet",
    ], env={**os.environ, "REVOPS_DUCKDB_PATH": str(database)}, cwd=PROJECT_DIR,
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"dbt build failed: {(done.stdout + done.stderr)[-3000:]}"
    return Warehouse(database, manifest, run_suites(database))


@pytest.fixture(scope="module")
def deviated(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return _build(tmp_path_factory.mktemp("gx_deviated"), leads=1000, deviations=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return _build(tmp_path_factory.mktemp("gx_clean"), leads=500, deviations=False)


def _copy_of_definitions(tmp_path: Path) -> tuple[Path, Path]:
    seeds = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, seeds)
    project_file = tmp_path / "dbt_project.yml"
    shutil.copy(DBT_PROJECT_FILE, project_file)
    return seeds, project_file


def _set_csv_value(path: Path, match: dict[str, str], column: str, value: str) -> None:
    """Change one cell of a definitions seed (the row matching every key of `match`)."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    changed = 0
    for row in rows:
        if all(row[key] == expected for key, expected in match.items()):
            row[column] = value
            changed += 1
    assert changed == 1, f"expected one row of {path.name} to match {match}"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# ----------------------------------------------------------------------------- the suites


def test_every_expectation_carries_its_severity_group_and_definition_sentence() -> None:
    rules = all_rules(load())
    assert len(rules) > 50
    for rule in rules:
        assert rule.meta["severity"] in ("block", "warn"), rule.name
        assert rule.meta["group"] in GROUPS, rule.name
        assert len(rule.meta["definition"]) > 20, rule.name
    groups = {rule.meta["group"] for rule in rules}
    assert set(REQUIRED_GROUPS) <= groups
    # Blocking suites exist (raw keys, required fields, one pipeline number), and each suite
    # holds one severity, so its Dagster check is either blocking or not.
    specs = suite_specs(load())
    assert any(spec.severity == "block" for spec in specs)
    for spec in specs:
        assert {rule.severity for rule in spec.rules} == {spec.severity}


def test_every_mql_criteria_and_sla_version_gets_its_own_expectation() -> None:
    definitions = load()
    names = {rule.name for rule in all_rules(definitions)}
    for criteria in definitions.mql_criteria:
        assert f"mql_criteria_met__{criteria.segment_code}__{criteria.version}" in names
    for sla in definitions.handoff_sla:
        assert f"sla_first_touch__{sla.segment_code}__{sla.version}" in names


def test_every_deviation_kind_of_the_generator_is_measured_by_an_expectation(
    deviated: Warehouse,
) -> None:
    kinds = {rule.meta.get("kind") for rule in all_rules(load())}
    assert set(deviated.manifest["deviations"]) <= kinds


@pytest.mark.parametrize("kind", [
    "mql_criteria_not_met", "rejection_without_reason", "rejection_reason_outside_taxonomy",
    "lead_without_owner", "stage_timestamps_out_of_order", "opportunity_without_primary_contact",
    "duplicate_leads", "mql_not_touched_within_sla",
])
def test_the_violation_count_equals_the_generators_manifest(deviated: Warehouse, kind: str) -> None:
    expected = deviated.manifest["deviations"][kind]
    assert expected > 0, f"the generator planted no {kind}: the comparison would prove nothing"
    assert deviated.run.count_of_kind(kind) == expected


def test_failing_expectations_name_example_records_that_exist(deviated: Warehouse) -> None:
    import duckdb

    owners = deviated.run.by_name()["lead_has_owner"]
    assert owners.status == "failed" and 0 < len(owners.example_ids) <= 5
    with duckdb.connect(str(deviated.database), read_only=True) as connection:
        for lead_id in owners.example_ids:
            owner = connection.execute(
                "select owner_id from raw.crm_lead where id = ?", [lead_id]).fetchone()
            assert owner is not None and not owner[0]


def test_a_clean_generated_dataset_passes_every_expectation(clean: Warehouse) -> None:
    assert all(count == 0 for count in clean.manifest["deviations"].values())
    not_passing = {outcome.name: (outcome.status, outcome.unexpected_count, outcome.example_ids)
                   for outcome in clean.run.outcomes
                   if outcome.status not in ("passed", "not built yet")}
    assert not not_passing
    measured = [outcome for outcome in clean.run.outcomes if outcome.status == "passed"]
    assert len(measured) > 50
    # Only a mart that is genuinely absent may be "not built yet", and it is said so.
    for outcome in clean.run.outcomes:
        if outcome.status == "not built yet":
            assert outcome.relation == "marts.fct_attribution"
            assert outcome.unexpected_count is None


def test_the_whole_validation_runs_in_seconds(clean: Warehouse) -> None:
    assert clean.run.seconds < 30


# ----------------------------------------------------------------------------- definitions


def test_a_changed_mql_threshold_changes_the_suite_and_the_result(
    clean: Warehouse, tmp_path: Path,
) -> None:
    seeds, project_file = _copy_of_definitions(tmp_path)
    _set_csv_value(seeds / "def_mql_criteria.csv",
                   {"segment_code": "smb", "criteria_version": "2025.4"}, "min_score", "400")
    changed = load(seeds, project_file)
    name = "mql_criteria_met__smb__2025.4"

    original_query = {rule.name: rule for rule in all_rules(load())}[name].expectation
    changed_query = {rule.name: rule for rule in all_rules(changed)}[name].expectation
    assert "< 65" in original_query.unexpected_rows_query
    assert "< 400" in changed_query.unexpected_rows_query

    before = clean.run.by_name()[name]
    after = run_suites(clean.database, changed, only=["marts.fct_handoffs.warn"]).by_name()[name]
    assert before.status == "passed" and before.unexpected_count == 0
    # Nobody scores 400: every SMB MQL judged by version 2025.4 now misses the criteria.
    assert after.status == "failed"
    assert after.unexpected_count == after.scope_count == before.scope_count > 0


def test_a_changed_sla_hour_changes_the_suite_and_the_result(
    clean: Warehouse, tmp_path: Path,
) -> None:
    seeds, project_file = _copy_of_definitions(tmp_path)
    _set_csv_value(seeds / "def_handoff_sla.csv",
                   {"segment_code": "smb", "sla_version": "2024.1"}, "hours_to_first_touch", "0.01")
    changed = load(seeds, project_file)
    name = "sla_first_touch__smb__2024.1"
    rule = {rule.name: rule for rule in all_rules(changed)}[name]
    assert "interval '36 seconds'" in rule.expectation.unexpected_rows_query

    after = run_suites(clean.database, changed, only=["marts.fct_handoffs.warn"]).by_name()
    assert clean.run.by_name()[name].unexpected_count == 0
    assert after[name].unexpected_count > 0
    assert after["sla_compliance_share__smb__2024.1"].status == "failed"


# ----------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def report(deviated: Warehouse, tmp_path_factory: pytest.TempPathFactory):
    reports_dir = tmp_path_factory.mktemp("gx_reports")
    first = write_report(deviated.database, reports_dir)
    second = write_report(deviated.database, reports_dir, data_docs=False)
    return first, second


def test_the_report_html_holds_the_gap_table_with_one_figure_per_group(report) -> None:
    first, _ = report
    page = first.html_path.read_text(encoding="utf-8")
    gap_table = re.search(r'<table id="gap-table">(.*?)</table>', page, re.DOTALL)
    assert gap_table
    for group in REQUIRED_GROUPS:
        row = re.search(rf"<tr><td>{group}</td><td class='number gap'>([0-9.]+%)</td>",
                        gap_table.group(1))
        assert row, f"no gap figure for {group}"
    mql_gap = next(gap for gap in first.gaps if gap.group == "MQL")
    assert mql_gap.records_not_following == first.run.count_of_kind("mql_criteria_not_met")
    # Per definition: the sentence, the share, the count and example ids.
    assert "Score of 65 or more" in page
    assert "00Q" in page  # example lead ids
    markdown = first.markdown_path.read_text(encoding="utf-8")
    assert "## Gap per definition group" in markdown and "| MQL |" in markdown
    assert first.data_docs_path is not None and first.data_docs_path.exists()


def test_the_second_report_shows_the_trend_against_the_first(report) -> None:
    first, second = report
    assert first.previous is None
    assert second.previous is not None
    history = json.loads((second.html_path.parent / "data_quality_history.json").read_text())
    assert len(history) == 2
    page = second.html_path.read_text(encoding="utf-8")
    assert "= 0" in page and ">new<" not in page


def test_the_report_renders_in_headless_chromium(report) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed (apt-get install -y chromium)"
    first, _ = report
    rendered = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--dump-dom", first.html_path.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    dom = rendered.stdout
    assert 'id="gap-table"' in dom
    assert "Gap per definition group" in dom
    for group in REQUIRED_GROUPS:
        assert f"<td>{group}</td>" in dom


# ----------------------------------------------------------------------------- reuse


def _refuse_validation(*args: Any, **kwargs: Any) -> RunResult:
    raise AssertionError("the report validated a suite the checks had already validated")


def test_the_report_reuses_the_checks_outcomes_instead_of_validating_again(
    deviated: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import copy

    import expectations.report

    # What "the checks" found, with one count no validation of this warehouse would give:
    # the report can only show it by reading the saved outcomes.
    checked_run = copy.deepcopy(deviated.run)
    handoff = next(outcome for outcome in checked_run.outcomes
                   if outcome.suite == "marts.fct_handoffs.warn" and outcome.unexpected_count)
    handoff.unexpected_count = 987_654
    save_outcomes(checked_run, run_results_dir(tmp_path, "run-1"))
    monkeypatch.setattr(expectations.report, "run_suites", _refuse_validation)

    checked = load_outcomes(run_results_dir(tmp_path, "run-1"), load().fingerprint)
    report = write_report(deviated.database, tmp_path / "reports", checked=checked)

    assert report.reused_suites == len(suite_specs())
    assert report.data_docs_path is None  # GX validated nothing, so there is nothing to render
    assert "| 987654 |" in report.markdown_path.read_text(encoding="utf-8")
    assert {outcome.name for outcome in report.run.outcomes} == set(deviated.run.by_name())


_REPORT_PROBE = """
import pathlib, sys
from expectations.report import write_report
from expectations.results import load_outcomes
from revops.definitions import load

checked = load_outcomes(pathlib.Path(sys.argv[2]), load().fingerprint)
report = write_report(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[3]), checked=checked)
print(report.reused_suites, "great_expectations" in sys.modules)
"""


def test_a_report_of_reused_outcomes_runs_without_great_expectations(
    deviated: Warehouse, tmp_path: Path,
) -> None:
    # The report's own process (the benchmark's step, a multiprocess Dagster step) renders the
    # checks' outcomes without importing GX: the import alone took as long as the report.
    save_outcomes(deviated.run, run_results_dir(tmp_path, "run-5"))
    probe = subprocess.run(
        [sys.executable, "-c", _REPORT_PROBE, str(deviated.database),
         str(run_results_dir(tmp_path, "run-5")), str(tmp_path / "reports")],
        capture_output=True, text=True, cwd=PROJECT_DIR, check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [str(len(suite_specs())), "False"]
    assert (tmp_path / "reports" / "data_quality.md").is_file()


def test_the_report_validates_only_the_suites_no_check_covered(
    deviated: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import expectations.report

    one_suite = RunResult(
        started_at=deviated.run.started_at, database=deviated.run.database,
        definitions_fingerprint=deviated.run.definitions_fingerprint,
        outcomes=[outcome for outcome in deviated.run.outcomes
                  if outcome.suite == "marts.fct_handoffs.warn"],
    )
    save_outcomes(one_suite, run_results_dir(tmp_path, "run-2"))
    asked: list[list[str]] = []

    def counting_run_suites(*args: Any, only: Any = None, **kwargs: Any) -> RunResult:
        asked.append(sorted(only))
        return run_suites(*args, only=only, **kwargs)

    monkeypatch.setattr(expectations.report, "run_suites", counting_run_suites)
    checked = load_outcomes(run_results_dir(tmp_path, "run-2"), load().fingerprint)
    report = write_report(deviated.database, tmp_path / "reports", checked=checked,
                          data_docs=False)

    everything = sorted(spec.name for spec in suite_specs())
    assert asked == [[name for name in everything if name != "marts.fct_handoffs.warn"]]
    assert report.reused_suites == 1
    # Reused or validated now, the report lists the same outcomes in the same order as one
    # full validation (sorted by group, suite order within a group).
    full = sorted(deviated.run.outcomes, key=lambda outcome: GROUPS.index(outcome.group))
    assert [(outcome.name, outcome.unexpected_count) for outcome in report.run.outcomes] == \
        [(outcome.name, outcome.unexpected_count) for outcome in full]


def test_outcomes_saved_for_other_definitions_or_another_run_are_not_reused(
    deviated: Warehouse, tmp_path: Path,
) -> None:
    save_outcomes(deviated.run, run_results_dir(tmp_path, "run-3"))
    assert load_outcomes(run_results_dir(tmp_path, "run-3"), "another-fingerprint") is None
    assert load_outcomes(run_results_dir(tmp_path, "run-4"), load().fingerprint) is None
    reloaded = load_outcomes(run_results_dir(tmp_path, "run-3"), load().fingerprint)
    assert reloaded is not None
    assert reloaded.suite_names == [spec.name for spec in suite_specs()]
    assert {outcome.name: outcome.as_dict() for outcome in reloaded.outcomes} == \
        {outcome.name: outcome.as_dict() for outcome in deviated.run.outcomes}


# ----------------------------------------------------------------------------- Dagster


_DAGSTER_PROBE = """
import json
from dagster import Definitions, build_asset_context, build_op_context
from orchestration.checks.quality import QUALITY_CHECKS, data_quality_report
from orchestration.definitions import defs

merged = Definitions.merge(defs, Definitions(assets=[data_quality_report],
                                             asset_checks=QUALITY_CHECKS))
graph = merged.resolve_asset_graph()
specs = {spec.key.to_user_string(): spec.blocking
         for check in QUALITY_CHECKS for spec in check.check_specs}
def run(key):
    check = next(check for check in QUALITY_CHECKS
                 if key in {spec.key.to_user_string() for spec in check.check_specs})
    result = check(build_op_context())
    return {"passed": result.passed, "severity": result.severity.value,
            "description": result.description}
before_checks = data_quality_report(build_asset_context())
print(json.dumps({
    "checks": specs,
    "report_parents": sorted(key.to_user_string()
                             for key in graph.get(data_quality_report.key).parent_keys),
    "handoffs_warn": run("marts/fct_handoffs:gx_warn"),
    "opportunities_block": run("marts/fct_opportunities:gx_block"),
    # Direct invocations share one run id: the second report reuses the two checks' outcomes.
    "reused_before_checks": before_checks.metadata["suites_reused_from_checks"],
    "reused_after_checks": data_quality_report(build_asset_context())
        .metadata["suites_reused_from_checks"],
}))
"""


def test_each_suite_is_a_dagster_check_blocking_when_its_severity_is_block(
    deviated: Warehouse, tmp_path: Path,
) -> None:
    env = {**os.environ, "REVOPS_DUCKDB_PATH": str(deviated.database),
           "REVOPS_LANDING_DIR": str(deviated.database.parent / "landing"),
           "REVOPS_REPORTS_DIR": str(tmp_path / "reports"),
           "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    (tmp_path / "dagster_home").mkdir()
    done = subprocess.run([sys.executable, "-c", _DAGSTER_PROBE], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    checks = probe["checks"]
    assert checks["raw/crm_lead:gx_block"] is True
    assert checks["marts/fct_opportunities:gx_block"] is True
    assert checks["marts/fct_handoffs:gx_warn"] is False
    for key, blocking in checks.items():
        assert blocking == key.endswith(":gx_block"), key
    assert "marts/fct_handoffs" in probe["report_parents"]
    # The planted deviations make the handoff suite warn; the pipeline equals the CRM's.
    assert probe["handoffs_warn"]["passed"] is False
    assert probe["handoffs_warn"]["severity"] == "WARN"
    assert probe["opportunities_block"]["passed"] is True
    assert probe["opportunities_block"]["severity"] == "ERROR"
    assert (tmp_path / "reports" / "data_quality.html").exists()
    assert probe["reused_before_checks"] == 0
    assert probe["reused_after_checks"] == 2
