"""The Dagster definitions load, connect ingestion to dbt, and run end to end in-process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from revops.contract import OBJECTS

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "REVOPS_LANDING_DIR": str(tmp_path / "landing"),
        "REVOPS_DUCKDB_PATH": str(tmp_path / "warehouse" / "revops.duckdb"),
        "REVOPS_REPORTS_DIR": str(tmp_path / "reports"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }


def _python(code: str, env: dict[str, str]) -> str:
    """Run code in a fresh interpreter: the definitions read their paths at import time."""
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def test_definitions_have_one_raw_asset_per_contract_table_upstream_of_staging(tmp_path):
    out = _python(
        "import json\n"
        "from orchestration.definitions import defs\n"
        "graph = defs.resolve_asset_graph()\n"
        "keys = {key.to_user_string(): sorted(d.to_user_string() for d in graph.get(key).parent_keys)\n"
        "        for key in graph.get_all_asset_keys()}\n"
        "checks = sorted(key.to_user_string() for key in graph.asset_check_keys)\n"
        "print(json.dumps({'keys': keys, 'checks': checks}))\n",
        _env(tmp_path),
    )
    graph = json.loads(out.strip().splitlines()[-1])
    keys = graph["keys"]
    for spec in OBJECTS:
        assert f"raw/{spec.table}" in keys, f"no ingestion asset for {spec.table}"
    # dbt sources point at the ingestion assets, so staging depends on raw.
    assert "raw/crm_lead" in keys["staging/stg_crm__leads"]
    assert "raw/map_activity" in keys["staging/stg_map__activities"]
    # dbt tests show up as asset checks on the models they test.
    assert any(check.startswith("staging/stg_crm__leads:") for check in graph["checks"])


def test_generate_then_run_materialises_everything_in_process(tmp_path):
    env = _env(tmp_path)
    revops = [sys.executable, "-m", "revops.cli"]
    generated = subprocess.run([*revops, "generate", "--leads", "600", "--seed", "3"], env=env,
                               cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stderr[-4000:]

    ran = subprocess.run([*revops, "run"], env=env, cwd=PROJECT_DIR, capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-6000:]
    assert "run succeeded" in ran.stdout
    assert "[1/3]" in ran.stdout and "summary" in ran.stdout  # progress per step

    manifest = json.loads((tmp_path / "landing" / "_manifest.json").read_text())
    database = tmp_path / "warehouse" / "revops.duckdb"
    with duckdb.connect(str(database), read_only=True) as connection:
        leads = connection.execute("select count(*) from raw.crm_lead").fetchone()[0]
        staged = connection.execute("select count(*) from staging.stg_crm__leads").fetchone()[0]
        marts = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
    assert leads == manifest["row_counts"]["crm_lead"]
    assert staged == leads
    assert marts > 0


def test_the_leads_option_rejects_sizes_outside_the_documented_range(tmp_path):
    done = subprocess.run([sys.executable, "-m", "revops.cli", "generate", "--leads", "5"],
                          env=_env(tmp_path), cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 2
    assert "--leads must be between 100 and 2,000,000" in done.stderr
