"""dbt models, seeds and tests as Dagster assets and asset checks (one dbt step for all)."""

import json
from collections.abc import Mapping
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    Config,
    Failure,
    Output,
    RetryRequested,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.project import revops_dbt_project
from orchestration.retries import MAX_RETRIES, backoff_seconds, is_transient

# Layer folders under models/ become Dagster groups; seeds hold the shared definitions.
_LAYERS = ("staging", "intermediate", "marts", "semantic")


class RevopsDbtTranslator(DagsterDbtTranslator):
    """Groups dbt nodes by layer and links dbt sources to the raw ingestion assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        meta_key = dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key")
        if meta_key:
            return AssetKey(meta_key)
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "definitions"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in _LAYERS:
            if layer in fqn:
                return layer
        return "transformations"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]


class DbtBuildConfig(Config):
    """Run options of the dbt step. Empty for the daily run; `revops backfill` sets the days
    (ISO dates, both included) whose rows the incremental models reprocess."""

    backfill_from: str = ""
    backfill_to: str = ""

    def dbt_args(self) -> list[str]:
        """Return the extra `dbt build` arguments: the backfill vars, or none."""
        if not (self.backfill_from or self.backfill_to):
            return []
        window = {"backfill_from": self.backfill_from, "backfill_to": self.backfill_to}
        return ["--vars", json.dumps(window)]


@dbt_assets(
    manifest=revops_dbt_project.manifest_path,
    project=revops_dbt_project,
    dagster_dbt_translator=RevopsDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def revops_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    """Seeds, models and their tests in one `dbt build`: one process start instead of one per
    model (each dbt invocation costs ~2.5 s of start-up here). A build that fails for a
    transient cause (a held DuckDB lock, a killed dbt process) is retried with backoff; a
    failing test or SQL error is not (see orchestration/retries.py)."""
    failed_checks = 0
    invocation = dbt.cli(["build", *config.dbt_args()], context=context, raise_on_error=False)
    try:
        for event in invocation.stream():
            if isinstance(event, Output):
                print(f"  dbt: built {event.output_name}", flush=True)
            elif isinstance(event, AssetMaterialization):
                print(f"  dbt: built {event.asset_key.to_user_string()}", flush=True)
            elif isinstance(event, AssetCheckResult) and not event.passed:
                failed_checks += 1
                print(f"  dbt: check failed {event.asset_key.to_user_string()}: "
                      f"{event.check_name}", flush=True)
            yield event
    except BaseException:
        # An error while reading dbt's events (or an interrupt) must not leave dbt running:
        # it would keep the warehouse's write lock after the step has failed.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait(timeout=60)
        raise
    print(f"  dbt: build finished, {failed_checks} failed check(s)", flush=True)
    if invocation.is_successful():
        return
    error = invocation.get_error()
    message = f"{error}\n{_run_result_messages(invocation)}"
    if is_transient(message, invocation.process.returncode) and context.retry_number < MAX_RETRIES:
        wait = backoff_seconds(context.retry_number)
        print(f"  dbt: transient failure, retrying in {wait:.0f}s", flush=True)
        raise RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=wait) from error
    raise error or Failure(description=f"dbt build failed (exit code {invocation.process.returncode})")


def _run_result_messages(invocation) -> str:
    """The error messages dbt wrote to run_results.json ('' when it wrote none)."""
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # noqa: BLE001 - a killed dbt writes no run_results.json at all
        return ""
    return "\n".join(str(result.get("message") or "") for result in results
                     if result.get("status") in ("error", "fail"))
