"""Data quality in the Dagster run: a failing blocking check stops the assets downstream.

The real definitions (orchestration.definitions, with orchestration/checks/quality.py as is),
run in-process in a fresh interpreter on 100 generated leads: once on clean raw (the staging
model materialises), then with a key duplicate planted in raw.crm_lead (the blocking
`gx_block` check on raw/crm_lead fails and stg_crm__leads does not materialise). ~40 s.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from hardening_report import Section, reliability_document  # noqa: F401 (fixture)

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPORT = Section(__doc__)  # this module's section of docs/reliability.md
_SCRIPT = """
import json, duckdb
from dagster import AssetKey, DagsterEventType
from orchestration.definitions import defs
from revops.generate import generate
from revops.ingest import run_ingestion
from revops.paths import duckdb_path, landing_dir

generate(landing_dir(), leads=100, seed=3, deviations=False)
run_ingestion(landing_dir(), duckdb_path()).raise_for_errors()
job = defs.resolve_implicit_global_asset_job_def()
selection = [AssetKey(["raw", "crm_lead"]), AssetKey(["staging", "stg_crm__leads"])]

def run():
    result = job.execute_in_process(asset_selection=selection, raise_on_error=False)
    materialized = sorted({event.asset_key.to_user_string()
                           for event in result.all_events
                           if event.event_type == DagsterEventType.ASSET_MATERIALIZATION})
    checks = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.event_specific_data
            checks[f"{data.asset_key.to_user_string()}:{data.check_name}"] = data.passed
    return {"materialized": materialized, "checks": checks}

clean = run()
with duckdb.connect(str(duckdb_path())) as con:
    planted = con.execute("select id from raw.crm_lead order by id limit 1").fetchall()[0][0]
    con.execute("insert into raw.crm_lead select * from raw.crm_lead where id = ?", [planted])
duplicated = run()
print("RESULT " + json.dumps({"clean": clean, "duplicated": duplicated, "planted": planted}))
"""


def test_a_failing_blocking_check_stops_the_downstream_dbt_asset(tmp_path):
    env = {
        **os.environ,
        "REVOPS_LANDING_DIR": str(tmp_path / "landing"),
        "REVOPS_DUCKDB_PATH": str(tmp_path / "warehouse" / "revops.duckdb"),
        "REVOPS_REPORTS_DIR": str(tmp_path / "reports"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    (tmp_path / "dagster_home").mkdir()
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout + done.stderr)[-4000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    clean, duplicated = result["clean"], result["duplicated"]

    # Control: on clean raw the blocking check passes and the staging model materialises.
    assert clean["checks"]["raw/crm_lead:gx_block"] is True
    assert "staging/stg_crm__leads" in clean["materialized"]
    # With a duplicate key the blocking check fails and the dbt asset does not run.
    assert duplicated["checks"]["raw/crm_lead:gx_block"] is False
    assert "raw/crm_lead" in duplicated["materialized"]
    assert "staging/stg_crm__leads" not in duplicated["materialized"]
    REPORT.add(f"a duplicate key ({result['planted']}) planted in raw.crm_lead, Dagster run of "
                "raw/crm_lead + staging/stg_crm__leads",
                "blocking check raw/crm_lead:gx_block failed; stg_crm__leads not materialised "
                "(on clean raw the same run materialises it)")
