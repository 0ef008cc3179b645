"""The Great Expectations suites as Dagster asset checks, and the RevOps report as an asset.

One check per verified asset and severity (`gx_block`, `gx_warn`), built from the same suite
specs the report uses (expectations/run.py), so a definition added to the seeds adds its
expectation to both. `gx_block` checks are blocking: when one fails, the assets downstream of
the checked asset do not run in that run. A crashed expectation (SQL error, unsupported
dialect) raises CrashedExpectationError and fails the check step itself, loudly, instead of
reporting violations that are not there.

Each check writes its suite's outcomes under `<reports>/validations/<run id>/`
(expectations/results.py); the report asset of the same run reads them and validates only
the suites no check covered, so a run pays for each validation once.

Wire into orchestration/definitions.py with:
    from orchestration.checks.quality import QUALITY_CHECKS, data_quality_report
"""

from collections.abc import Iterable

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from expectations.results import load_outcomes, run_results_dir, save_outcomes
from expectations.run import Outcome, SuiteSpec, run_suites, suite_specs
from revops.definitions import load
from revops.paths import duckdb_path, reports_dir

CHECK_PREFIX = "gx_"


def _known_asset_keys() -> set[AssetKey]:
    """Keys of the ingestion and dbt assets, so no check points at an asset that is absent
    from the dbt manifest (Dagster refuses checks on unknown assets)."""
    from orchestration.assets.ingestion import raw_tables
    from orchestration.assets.transformations import revops_dbt_models

    return set(raw_tables.keys) | set(revops_dbt_models.keys)


def check_result(spec: SuiteSpec, outcomes: list[Outcome]) -> AssetCheckResult:
    """Return the AssetCheckResult of one suite from its outcomes (pure: tested directly)."""
    measured = [outcome for outcome in outcomes if outcome.status != "not built yet"]
    departing = [outcome for outcome in measured if not outcome.follows_definition]
    not_built = [outcome.name for outcome in outcomes if outcome.status == "not built yet"]
    metadata = {
        "expectations": len(outcomes),
        "departing": len(departing),
        "not_built_yet": MetadataValue.json(not_built),
        "results": MetadataValue.md("\n".join(
            f"- **{outcome.name}** ({outcome.status}): {outcome.unexpected_count} of "
            f"{outcome.scope_count} not following; e.g. {', '.join(outcome.example_ids[:3])}  \n"
            f"  _{outcome.definition}_"
            for outcome in outcomes
        ) or "no expectations"),
    }
    description = (
        f"{len(departing)} of {len(measured)} definitions not followed"
        + (f"; {len(not_built)} not built yet" if not_built else "")
    )
    return AssetCheckResult(
        passed=not departing,
        severity=AssetCheckSeverity.ERROR if spec.severity == "block" else AssetCheckSeverity.WARN,
        metadata=metadata,
        description=description,
    )


def _make_check(spec: SuiteSpec):
    sentences = "; ".join(sorted({rule.meta["group"] for rule in spec.rules}))

    @asset_check(
        asset=AssetKey(spec.asset_key),
        name=f"{CHECK_PREFIX}{spec.severity}",
        blocking=spec.severity == "block",
        description=(f"Great Expectations suite {spec.name} ({len(spec.rules)} expectations; "
                     f"groups: {sentences}), generated from the shared definitions."),
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        run = run_suites(duckdb_path(), only=[spec.name])
        context.log.info(f"{spec.name}: validated in {run.seconds:.2f}s")
        # The report of this run reads these instead of validating the suite again.
        save_outcomes(run, run_results_dir(reports_dir(), context.op_execution_context.run_id))
        return check_result(spec, run.outcomes)

    return _check


def build_quality_checks(specs: Iterable[SuiteSpec] | None = None,
                         known_keys: set[AssetKey] | None = None) -> list:
    """Return one asset check per suite whose asset exists in the Dagster graph."""
    specs = list(specs) if specs is not None else suite_specs(load())
    known_keys = known_keys if known_keys is not None else _known_asset_keys()
    return [_make_check(spec) for spec in specs if AssetKey(spec.asset_key) in known_keys]


QUALITY_CHECKS = build_quality_checks()

# The report reads the marts the suites verify; a failed blocking check on one stops it.
_REPORT_DEPS = sorted(
    {tuple(spec.asset_key) for spec in suite_specs(load()) if spec.schema == "marts"}
    & {tuple(key.path) for key in _known_asset_keys()}
)


@asset(
    key=AssetKey(["reports", "data_quality_report"]),
    deps=[AssetKey(list(key)) for key in _REPORT_DEPS],
    group_name="reports",
    description="The RevOps data-quality report: per documented definition, the share of "
                "records that follow it, examples, trend, and the gap per definition group "
                "(reports/data_quality.html and .md). Reuses the outcomes of this run's checks; "
                "GX Data Docs (reports/gx/) cover the suites it validated itself - "
                "`revops report` validates and documents them all.",
    owners=["team:revops"],
)
def data_quality_report(context: AssetExecutionContext) -> MaterializeResult:
    from expectations.report import write_report

    # What this run's checks found is reused; only suites no check validated run here.
    checked = load_outcomes(run_results_dir(reports_dir(), context.op_execution_context.run_id),
                            load().fingerprint)
    report = write_report(duckdb_path(), reports_dir(), checked=checked)
    context.log.info(f"wrote {report.html_path} and {report.markdown_path}; "
                     f"{report.reused_suites} suites reused from this run's checks")
    return MaterializeResult(metadata={
        "html": MetadataValue.path(str(report.html_path)),
        "markdown": MetadataValue.path(str(report.markdown_path)),
        "gaps": MetadataValue.json({gap.group: gap.gap for gap in report.gaps}),
        "seconds": report.run.seconds,
        "suites_reused_from_checks": report.reused_suites,
    })
