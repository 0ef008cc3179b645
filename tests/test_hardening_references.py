"""References to records that do not exist: an opportunity whose account is not exported.

The singular dbt test assert_opportunity_accounts_exist lists the offending opportunity and
account ids (stored failures); a row in seeds/def_record_id_mapping.csv fixes a reference.
Runs dbt on a copy of the project so the mapping seed can be edited.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hardening_report import Section, reliability_document  # noqa: F401 (fixture)

from revops.ingest import run_ingestion
from revops.paths import PROJECT_DIR

REPORT = Section(__doc__)  # this module's section of docs/reliability.md

DBT = str(Path(sys.executable).parent / "dbt")
STAMP = "2024-03-01T10:00:00.000+0000"


def _landing(root: Path) -> None:
    for folder, text in {
        "Account": f"Id,Name,SystemModstamp\nA-1,Acme,{STAMP}\nA-NEW,Merged Co,{STAMP}\n",
        "Opportunity": (
            "Id,AccountId,Name,Amount,CreatedDate,SystemModstamp\n"
            f"O-1,A-1,Good,100,{STAMP},{STAMP}\n"
            f"O-2,A-MISSING,Orphan,200,{STAMP},{STAMP}\n"
            f"O-3,A-OLD,Merged away,300,{STAMP},{STAMP}\n"
            f"O-4,,No account,400,{STAMP},{STAMP}\n"
        ),
    }.items():
        (root / "crm" / folder).mkdir(parents=True)
        (root / "crm" / folder / f"{folder}.csv").write_text(text, encoding="utf-8")


def _check(project: Path, database: Path, work: Path) -> list[tuple]:
    selected = ["+int_opportunity_accounts_resolved,resource_type:model",
                "+int_opportunity_accounts_resolved,resource_type:seed",
                "assert_opportunity_accounts_exist"]
    done = subprocess.run(
        [DBT, "build", "--select", *selected, "--indirect-selection", "empty",
         "--project-dir", str(project),
         "--profiles-dir", str(project), "--target-path", str(work / "target"),
         "--log-path", str(work / "logs")],
        env={**os.environ, "REVOPS_DUCKDB_PATH": str(database)}, cwd=project,
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("select opportunity_id, account_id from "
                           "dbt_test__audit.assert_opportunity_accounts_exist "
                           "order by opportunity_id").fetchall()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    for name in ("models", "macros", "seeds", "data-tests"):
        shutil.copytree(PROJECT_DIR / name, copy / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, copy / name)
    return copy


def test_missing_accounts_are_listed_and_fixed_by_the_mapping_seed(
    project, tmp_path
):
    _landing(tmp_path / "landing")
    database = tmp_path / "revops.duckdb"
    run_ingestion(tmp_path / "landing", database, ["crm_account", "crm_opportunity"])
    offending = _check(project, database, tmp_path)
    assert offending == [("O-2", "A-MISSING"), ("O-3", "A-OLD")]
    REPORT.add("opportunities whose account is not exported",
                f"reported by dbt test assert_opportunity_accounts_exist (warn) with the keys "
                f"{offending}; an empty AccountId is not a reference")

    mapping = project / "seeds" / "def_record_id_mapping.csv"
    mapping.write_text(mapping.read_text(encoding="utf-8")
                       + "Account,A-OLD,A-NEW,merged into A-NEW\n", encoding="utf-8")
    assert _check(project, database, tmp_path) == [("O-2", "A-MISSING")]
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select account_id, is_account_id_mapped from "
                           "intermediate.int_opportunity_accounts_resolved "
                           "where opportunity_id = 'O-3'").fetchall() == [("A-NEW", True)]
    REPORT.add("a row `Account,A-OLD,A-NEW` in seeds/def_record_id_mapping.csv",
                "O-3 resolves to A-NEW and leaves the report; O-2 stays listed")
