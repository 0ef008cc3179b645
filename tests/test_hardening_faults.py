"""Faults: an ingestion killed mid-load, and export files that land while a run reads.

The kill test generates 300 leads (deviations on, so there is a quarantine), loads them once
without interruption and once with `revops ingest` killed (SIGKILL) right after dlt committed
its first rows into a raw table (a first load appends), runs the ingestion again and builds the models on both
warehouses (~45 s on the shared 2-core machine). The landing tests run the ingestion
in-process on one table with a writer thread appending to an export while the run reads
(~5 s).
"""

import glob
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hardening_report import Section, reliability_document  # noqa: F401 (fixture)
from test_orchestration import _mart_hashes

from revops.contract import OBJECTS
from revops.ingest import build_pipeline, pipelines_dir, run_ingestion
from revops.ingest.tables import LEDGER_TABLE, QUARANTINE_TABLE
from revops.paths import PROJECT_DIR

RAW_TABLES = {spec.table for spec in OBJECTS}

REPORT = Section(__doc__)  # this module's section of docs/reliability.md
DBT = str(Path(sys.executable).parent / "dbt")
LEADS = 300
# Load metadata differs between two loads of the same rows by design (when, which load).
LOAD_METADATA = {"_loaded_at", "_dlt_load_id"}


def _revops(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "revops.cli", *args], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"revops {args[0]}: {(done.stdout + done.stderr)[-3000:]}"
    return done


def _env(landing: Path, database: Path) -> dict[str, str]:
    return {**os.environ, "REVOPS_LANDING_DIR": str(landing), "REVOPS_DUCKDB_PATH": str(database)}


def _build_models(database: Path, work: Path) -> None:
    """Seeds and models (no tests: they do not change the marts) into `database`."""
    done = subprocess.run(
        [DBT, "build", "--exclude", "resource_type:test", "resource_type:unit_test",
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env={**os.environ, "REVOPS_DUCKDB_PATH": str(database)}, cwd=PROJECT_DIR,
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"dbt build on {database}: {(done.stdout + done.stderr)[-3000:]}"


def _kill_after_first_table_write(env: dict[str, str], database: Path, log: Path) -> str:
    """Start `revops ingest` and SIGKILL its process group as soon as dlt has committed rows
    into one raw table: a merge (a `.sql` job) or, on a first load that appends, a Parquet job
    of a contract table holding rows, in the package's completed_jobs. Return that job's file
    name. Fails when the run ends before the kill (then the test proves nothing)."""
    completed = pipelines_dir(database) / "revops_landing" / "load" / "normalized" / "*" / "completed_jobs"

    def holds_rows(path: str) -> bool:
        # A first load's opening items are empty tables (the contract's columns, then the
        # switch to append), and dlt may write them to a job of their own: killed after that
        # one, no raw table holds a row yet (it failed CI once that way).
        if not path.endswith(".parquet"):
            return True
        try:
            return pq.read_metadata(path).num_rows > 0
        except OSError:  # moved or still being written: look again
            return False

    def table_writes() -> list[str]:
        return [path for path in glob.glob(str(completed / "*"))
                if Path(path).name.split(".")[0] in RAW_TABLES
                and Path(path).suffix in (".sql", ".parquet") and holds_rows(path)]

    run = subprocess.Popen([sys.executable, "-m", "revops.cli", "ingest"], env=env,
                           cwd=PROJECT_DIR, stdout=log.open("w"), stderr=subprocess.STDOUT,
                           start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while not (merged := table_writes()):
            assert run.poll() is None, f"the run ended before the kill: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "no merge committed within 240 s"
            time.sleep(0.002)  # the load phase of 300 leads lasts ~0.5 s: poll finely
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL, (run.returncode, log.read_text()[-2000:])
    return Path(merged[0]).name


def _relations(database: Path) -> dict[str, int]:
    """{schema.table: rows} of every table in the file."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute("select schema_name, table_name from duckdb_tables() "
                            "order by 1, 2").fetchall()
        return {f"{schema}.{table}": con.execute(
            f'select count(*) from "{schema}"."{table}"').fetchone()[0] for schema, table in names}


def _raw_rows(database: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows without the load metadata, sorted: what the data says. The
    ledger is compared by file (its row counts say what each run merged, which differs)."""
    rows = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' "
            f"and table_name not like '_dlt%' and table_name != '{LEDGER_TABLE}' "
            "order by 1").fetchall()]
        rows[LEDGER_TABLE] = sorted(con.execute(
            f"select table_name, source_file, file_size, fingerprint from raw.{LEDGER_TABLE}"
        ).fetchall())
        for table in tables:
            columns = [row[0] for row in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'raw' "
                "and table_name = ? order by column_index", [table]).fetchall()]
            kept = ", ".join(f'"{name}"' for name in columns if name not in LOAD_METADATA)
            rows[table] = sorted(map(repr, con.execute(f'select {kept} from raw."{table}"')
                                     .fetchall()))
    return rows


def _leftovers(database: Path) -> dict[str, object]:
    """What an interrupted load can leave: pending load packages, staged rows, and rows of the
    append tables whose load never completed."""
    pipeline = build_pipeline(database)
    found: dict[str, object] = {
        "pending packages": [*pipeline.list_extracted_load_packages(),
                             *pipeline.list_normalized_load_packages()],
    }
    with duckdb.connect(str(database), read_only=True) as con:
        found["staged rows"] = sum(con.execute(
            f'select count(*) from raw_staging."{table}"').fetchone()[0]
            for (table,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw_staging' "
                "and table_name not like '_dlt%'").fetchall())
        for table in (LEDGER_TABLE, QUARANTINE_TABLE):
            found[f"{table} rows of incomplete loads"] = con.execute(
                f"select count(*) from raw.{table} where _dlt_load_id not in "
                "(select load_id from raw._dlt_loads where status = 0)").fetchone()[0]
    return found


def test_an_ingestion_killed_after_a_table_was_written_reruns_to_the_same_marts(tmp_path):
    landing = tmp_path / "landing"
    reference, killed = tmp_path / "reference" / "revops.duckdb", tmp_path / "killed" / "revops.duckdb"
    _revops(["generate", "--leads", str(LEADS), "--seed", "5"], _env(landing, reference))

    _revops(["ingest"], _env(landing, reference))
    merged_job = _kill_after_first_table_write(_env(landing, killed), killed, tmp_path / "killed.log")
    left = _leftovers(killed)
    assert left["pending packages"], "the kill came after the load package completed"
    with duckdb.connect(str(killed), read_only=True) as con:
        completed_loads = con.execute(
            "select count(*) from raw._dlt_loads where status = 0").fetchone()[0]
    assert completed_loads == 0
    merged_table = merged_job.split(".")[0]
    assert _relations(killed)[f"raw.{merged_table}"] > 0  # at least one table was written

    rerun = _revops(["ingest"], _env(landing, killed))
    assert "an earlier run was interrupted" in rerun.stdout, rerun.stdout[-2000:]
    # A first load appends, committing file by file: what it wrote is removed and read again.
    assert f"of raw.{merged_table} appended by a first load that never completed" in rerun.stdout
    clean = _leftovers(killed)
    assert clean == {
        "pending packages": [], "staged rows": 0, f"{LEDGER_TABLE} rows of incomplete loads": 0,
        f"{QUARANTINE_TABLE} rows of incomplete loads": 0,
    }
    assert _leftovers(reference) == clean  # the same state an uninterrupted run leaves
    assert _raw_rows(killed) == _raw_rows(reference)

    _build_models(reference, tmp_path / "reference")
    _build_models(killed, tmp_path / "killed")
    assert _relations(killed).keys() == _relations(reference).keys()  # no extra relation
    marts = _mart_hashes(reference)
    assert len(marts) > 10 and _mart_hashes(killed) == marts

    REPORT.add(
        "`revops ingest` killed (SIGKILL) right after dlt committed its first raw table "
        f"({merged_table}), {LEADS} generated leads; then `revops ingest` again and dbt",
        f"the kill left {len(left['pending packages'])} pending load package, "
        f"{left['staged rows']:,} rows in raw_staging and "
        f"{left[f'{LEDGER_TABLE} rows of incomplete loads']} ledger and "
        f"{left[f'{QUARANTINE_TABLE} rows of incomplete loads']} quarantine rows of the "
        "unfinished load; the rerun removed them and reloaded; raw (without load metadata) and all "
        f"{len(marts)} mart tables identical, row hash for row hash, to an uninterrupted run; "
        "no pending package, staged row, orphaned ledger or quarantine row, or extra relation")


def _lead_lines(first: int, count: int) -> str:
    stamp = "2024-03-01T10:00:00.000+0000"
    return "".join(f"L-{number:05d},Lead {number},Co {number},Open,{stamp},{stamp}\n"
                   for number in range(first, first + count))


HEADER = "Id,LastName,Company,Status,CreatedDate,SystemModstamp\n"


@pytest.fixture
def lead_landing(tmp_path: Path) -> Path:
    """A landing folder with one complete Lead export of 50 rows."""
    folder = tmp_path / "landing" / "crm" / "Lead"
    folder.mkdir(parents=True)
    (folder / "Lead_000.csv").write_text(HEADER + _lead_lines(0, 50), encoding="utf-8")
    return tmp_path / "landing"


def _rows_from(database: Path, source_file: str) -> tuple[int, int, int]:
    """(rows in raw.crm_lead, distinct ids, committed ledger rows) of one landing file."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows, ids = con.execute("select count(*), count(distinct id) from raw.crm_lead "
                                "where _source_file = ?", [source_file]).fetchone()
        ledger = con.execute(f"select count(*) from raw.{LEDGER_TABLE} where source_file = ?",
                             [source_file]).fetchone()[0]
    return rows, ids, ledger


class SlowWriter(threading.Thread):
    """Appends lead rows to an export in chunks of 100, one chunk every 20 ms, until told to
    finish; then writes the last chunk and closes: an export job writing in place."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.finish, self.rows = path, threading.Event(), 0
        self.handle = path.open("w", encoding="utf-8")
        self.handle.write(HEADER + _lead_lines(10_000, 100))  # the header and a first chunk
        self.handle.flush()
        self.rows = 100

    def run(self) -> None:
        while True:
            last = self.finish.is_set()
            self.handle.write(_lead_lines(10_000 + self.rows, 100))
            self.handle.flush()
            self.rows += 100
            if last:
                break
            time.sleep(0.02)
        self.handle.close()


def test_an_export_written_during_a_run_is_left_whole_for_the_next_run(lead_landing, tmp_path):
    database = tmp_path / "revops.duckdb"
    writer = SlowWriter(lead_landing / "crm" / "Lead" / "Lead_001.csv")
    writer.start()
    messages: list[str] = []
    try:
        report = run_ingestion(lead_landing, database, ["crm_lead"], progress=messages.append)
        report.raise_for_errors()
        still_writing = writer.is_alive()
        rows_when_run_ended = writer.rows
    finally:
        writer.finish.set()
        writer.join(timeout=30)
    assert still_writing, "the writer finished before the run: the test proves nothing"
    assert report.tables["crm_lead"].files_deferred == ["crm/Lead/Lead_001.csv"], messages
    assert _rows_from(database, "crm/Lead/Lead_000.csv") == (50, 50, 1)
    assert _rows_from(database, "crm/Lead/Lead_001.csv") == (0, 0, 0)  # nothing, no ledger row
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute(f"select count(*) from raw.{QUARANTINE_TABLE}").fetchone()[0] == 0

    again = run_ingestion(lead_landing, database, ["crm_lead"])
    assert again.tables["crm_lead"].files_read == ["crm/Lead/Lead_001.csv"]
    assert _rows_from(database, "crm/Lead/Lead_001.csv") == (writer.rows, writer.rows, 1)
    third = run_ingestion(lead_landing, database, ["crm_lead"])
    assert third.tables["crm_lead"].files_read == []
    assert _rows_from(database, "crm/Lead/Lead_001.csv") == (writer.rows, writer.rows, 1)
    REPORT.add(
        "an export written in place, 100 rows every 20 ms, while a run reads the folder",
        f"the run listed it at 100 rows, saw it grow ({rows_when_run_ended:,} rows when the "
        "run ended) and left it: no row, no quarantine row, no ledger row; the next run loaded "
        f"all {writer.rows:,} rows once, the run after that skipped it")


def test_files_under_a_writers_temporary_name_wait_until_renamed(lead_landing, tmp_path):
    database = tmp_path / "revops.duckdb"
    folder = lead_landing / "crm" / "Lead"
    temporary = [folder / "Lead_002.csv.part", folder / "Lead_003.csv.tmp",
                 folder / ".Lead_004.csv"]
    for number, path in enumerate(temporary):
        path.write_text(HEADER + _lead_lines(20_000 + 1000 * number, 10), encoding="utf-8")
    report = run_ingestion(lead_landing, database, ["crm_lead"])
    assert report.tables["crm_lead"].files_read == ["crm/Lead/Lead_000.csv"]
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from raw.crm_lead").fetchone()[0] == 50

    for path in temporary:  # the writers finish: write, then rename
        path.rename(folder / path.name.removeprefix(".").removesuffix(".part")
                    .removesuffix(".tmp"))
    after = run_ingestion(lead_landing, database, ["crm_lead"])
    assert sorted(after.tables["crm_lead"].files_read) == [
        "crm/Lead/Lead_002.csv", "crm/Lead/Lead_003.csv", "crm/Lead/Lead_004.csv"]
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from raw.crm_lead").fetchone()[0] == 80
    REPORT.add("exports under a writer's temporary name (`*.csv.part`, `*.csv.tmp`, "
               "`.Lead_004.csv`), then renamed",
               "not read while so named; after the rename the next run loads each file's "
               "10 rows")
