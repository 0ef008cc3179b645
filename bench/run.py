"""Where the time goes: the pipeline step by step at several scales, against a lower bound.

    python bench/run.py --leads 10000,100000 --postgres 100000   # what `make bench` runs
    python bench/run.py --leads 10000 --postgres 10000
    python bench/run.py --leads 10000,100000,1000000

Each step runs as its own process, as a user would run it, and is measured from outside:
wall time, and peak RSS from `wait4()` (the child's own high-water mark, in MiB). Steps:

- generate   `revops generate` (excluded from the end-to-end figure, as the issue asks)
- ingest     `revops ingest` into a fresh DuckDB file
- dbt_build  `dbt build` (seeds, models, unit and data tests); per-node times from
             run_results.json, split into models / tests / seeds, and dbt's fixed cost
             (wall time not spent inside any node: start-up, parse, compile, scheduling)
- validations `expectations.run.run_suites` (every GX suite, as SQL inside DuckDB); the
             outcomes are saved as the Dagster checks save theirs (expectations/results.py)
- report     `expectations.report.write_report(..., checked=<those outcomes>)`, as the Dagster
             report asset does: HTML/Markdown from the checks' outcomes, no second validation
- lower_bound a hand-written DuckDB job: read every landing file once into memory and compute
             one funnel (leads -> MQL -> converted -> opportunity -> won, with amounts)
- incremental_day `measure_incremental_day(leads, work_dir)` from bench/incremental.py (one new
             day loaded and built incrementally), when that module exists; the ratio to the
             full build is printed
- with --postgres N: at N leads also ingest_postgres and dbt_build_postgres into a throw-away
  database on the local server from scripts/postgres.sh.

Results go to bench/results/<leads>.json (one file per scale, overwritten by a new run) and
bench/results/README.md (a table of every JSON present). Ratios are printed, not only times.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
BIN = Path(sys.executable).parent


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mib: float
    detail: dict = field(default_factory=dict)
    # 1-minute load average when the step ended: other jobs share the 2 cores.
    load_average: float = 0.0


def measure(name: str, command: list[str], env: dict[str, str], log_dir: Path) -> Step:
    """Run `command` to completion and return its wall time and peak RSS; raise when it fails,
    naming the step and the log file."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_DIR,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log_path.read_text()[-2000:]
        raise RuntimeError(f"step {name} failed ({process.returncode}), log {log_path}:\n{tail}")
    # ru_maxrss is in KiB on Linux.
    step = Step(
        name,
        round(seconds, 2),
        round(usage.ru_maxrss / 1024, 1),
        load_average=round(os.getloadavg()[0], 2),
    )
    print(
        f"  {name:<20} {step.seconds:8.2f} s  {step.peak_rss_mib:8.1f} MiB"
        f"  (load {step.load_average})",
        flush=True,
    )
    return step


def dbt_detail(target_dir: Path, wall_seconds: float) -> dict:
    """Per-node times of the last dbt invocation, grouped, plus dbt's fixed cost."""
    results = json.loads((target_dir / "run_results.json").read_text())
    nodes = results["results"]
    by_kind: dict[str, float] = {}
    for node in nodes:
        kind = node["unique_id"].split(".", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + node["execution_time"]
    models = sorted(
        (
            {"model": node["unique_id"].split(".")[-1], "seconds": round(node["execution_time"], 3)}
            for node in nodes
            if node["unique_id"].startswith("model.")
        ),
        key=lambda row: -row["seconds"],
    )
    tests = sorted(
        (
            {"test": node["unique_id"].split(".")[2], "seconds": round(node["execution_time"], 3)}
            for node in nodes
            if node["unique_id"].startswith("test.")
        ),
        key=lambda row: -row["seconds"],
    )
    statuses: dict[str, int] = {}
    for node in nodes:
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
    run_seconds = results["elapsed_time"]
    return {
        "nodes": len(nodes),
        "statuses": statuses,
        "node_seconds_by_kind": {kind: round(value, 2) for kind, value in by_kind.items()},
        # dbt runs 2 threads: node times overlap, so "outside nodes" uses dbt's own elapsed time.
        "run_elapsed_seconds": round(run_seconds, 2),
        "fixed_cost_seconds": round(wall_seconds - run_seconds, 2),
        "models": models,
        "slowest_tests": tests[:10],
    }


LOWER_BOUND_SQL = """
create table leads as select * from read_csv('{landing}/crm/Lead/*.csv*', all_varchar = true, union_by_name = true);
create table opportunities as select * from read_csv('{landing}/crm/Opportunity/*.csv*', all_varchar = true, union_by_name = true);
"""

LOWER_BOUND_FUNNEL = """
with leads as (
    select Id, MQL_Date__c, IsConverted, ConvertedOpportunityId,
           date_trunc('month', cast(left(CreatedDate, 19) as timestamp)) as created_month
    from leads where coalesce(IsDeleted, 'false') <> 'true'
),
opportunities as (
    select Id, IsWon, try_cast(Amount as double) as amount from opportunities
    where coalesce(IsDeleted, 'false') <> 'true'
)
select leads.created_month,
       count(*) as lead_count,
       count(leads.MQL_Date__c) as mql_count,
       count(*) filter (where leads.IsConverted = 'true') as converted_count,
       count(opportunities.Id) as opportunity_count,
       count(*) filter (where opportunities.IsWon = 'true') as won_count,
       sum(opportunities.amount) filter (where opportunities.IsWon = 'true') as won_amount
from leads left join opportunities on opportunities.Id = leads.ConvertedOpportunityId
group by all order by 1
"""


def lower_bound_script(landing: Path) -> str:
    """Python source of the lower-bound step: every landing file read once (CSV as text, gzip
    included, Parquet natively), then one funnel query over leads and opportunities."""
    return f"""
import duckdb, pathlib
landing = pathlib.Path({str(landing)!r})
con = duckdb.connect()
rows = 0
for folder in sorted(path for path in landing.glob('*/*') if path.is_dir()):
    csvs = sorted(str(p) for p in folder.iterdir() if p.name.endswith(('.csv', '.csv.gz')))
    parquets = sorted(str(p) for p in folder.iterdir() if p.name.endswith('.parquet'))
    if csvs:
        rows += con.execute("select count(*) from read_csv(?, all_varchar = true, union_by_name = true)", [csvs]).fetchone()[0]
    if parquets:
        rows += con.execute("select count(*) from read_parquet(?, union_by_name = true)", [parquets]).fetchone()[0]
con.execute({LOWER_BOUND_SQL.format(landing=landing)!r})
funnel = con.execute({LOWER_BOUND_FUNNEL!r}).fetchall()
print(rows, 'rows read;', len(funnel), 'funnel months')
"""


def run_scale(leads: int, seed: int, work_root: Path, postgres: bool, incremental: bool) -> dict:
    """Every step at one scale; returns the JSON document."""
    work_dir = work_root / f"{leads}"
    if work_dir.exists():
        subprocess.run(["rm", "-rf", str(work_dir)], check=True)
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True)
    landing = work_dir / "landing"
    database = work_dir / "revops.duckdb"
    env = {
        "REVOPS_LANDING_DIR": str(landing),
        "REVOPS_DUCKDB_PATH": str(database),
        "REVOPS_REPORTS_DIR": str(work_dir / "reports"),
        "DAGSTER_HOME": str(work_dir / "dagster"),
    }
    dbt_options = [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--log-path",
        str(work_dir / "dbt-logs"),
        "--quiet",
    ]
    print(f"{leads:,} leads in {work_dir}", flush=True)
    steps: list[Step] = []
    revops = str(BIN / "revops")
    steps.append(
        measure(
            "generate",
            [revops, "generate", "--leads", str(leads), "--seed", str(seed)],
            env,
            log_dir,
        )
    )
    landing_bytes = sum(path.stat().st_size for path in landing.rglob("*") if path.is_file())
    manifest = json.loads((landing / "_manifest.json").read_text())
    steps.append(measure("ingest", [revops, "ingest"], env, log_dir))

    target = work_dir / "target"
    step = measure(
        "dbt_build",
        [
            str(BIN / "dbt"),
            "build",
            "--target",
            "duckdb",
            "--target-path",
            str(target),
            *dbt_options,
        ],
        env,
        log_dir,
    )
    step.detail = dbt_detail(target, step.seconds)
    steps.append(step)

    # As in a Dagster run: the checks validate and keep their outcomes, the report reuses them
    # (expectations/results.py) instead of validating every suite a second time.
    outcomes_dir = work_dir / "reports" / "validations" / "bench"
    validations = (
        "import pathlib, sys; from expectations.run import run_suites; "
        "from expectations.results import save_outcomes; "
        "run = run_suites(pathlib.Path(sys.argv[1])); save_outcomes(run, pathlib.Path(sys.argv[2])); "
        "print(len(run.outcomes), 'expectations in', round(run.seconds, 2), 's'); "
        "import json; pathlib.Path(sys.argv[3]).write_text(json.dumps("
        "{'expectations': len(run.outcomes), 'run_suites_seconds': round(run.seconds, 2)}))"
    )
    detail_path = work_dir / "validations.json"
    step = measure(
        "validations",
        [sys.executable, "-c", validations, str(database), str(outcomes_dir), str(detail_path)],
        env,
        log_dir,
    )
    step.detail = json.loads(detail_path.read_text())
    steps.append(step)
    report = (
        "import pathlib, sys; from expectations.report import write_report; "
        "from expectations.results import load_outcomes; from revops.definitions import load; "
        "checked = load_outcomes(pathlib.Path(sys.argv[2]), load().fingerprint); "
        "report = write_report(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[3]), "
        "data_docs=False, checked=checked); "
        "print(report.reused_suites, 'suites reused; validated in', round(report.run.seconds, 2), 's')"
    )
    steps.append(
        measure(
            "report",
            [
                sys.executable,
                "-c",
                report,
                str(database),
                str(outcomes_dir),
                str(work_dir / "reports"),
            ],
            env,
            log_dir,
        )
    )
    steps.append(
        measure("lower_bound", [sys.executable, "-c", lower_bound_script(landing)], env, log_dir)
    )
    if incremental:
        day = incremental_step(leads, work_dir, log_dir, env)
        if day is not None:
            steps.append(day)
    if postgres:
        steps.extend(postgres_steps(work_dir, landing, log_dir, dbt_options, env))

    return summarise(leads, seed, steps, landing_bytes, manifest)


INCREMENTAL_UNAVAILABLE = "bench/incremental.py not available"


def incremental_step(leads: int, work_dir: Path, log_dir: Path, env: dict[str, str]) -> Step | None:
    """One new day loaded and built incrementally, measured by
    bench/incremental.py's `measure_incremental_day(leads, work_dir)` (its own module, written
    with the incremental marts) in a process of its own; None, saying so, when that module is
    absent. Its result dict goes to the step's detail."""
    if not (PROJECT_DIR / "bench" / "incremental.py").exists():
        print(f"  {INCREMENTAL_UNAVAILABLE}: no daily incremental figure", flush=True)
        return None
    out = work_dir / "incremental.json"
    script = (
        "import json, pathlib, sys; sys.path.insert(0, sys.argv[3]); "
        "from incremental import measure_incremental_day; "
        "result = measure_incremental_day(int(sys.argv[1]), pathlib.Path(sys.argv[2])); "
        "pathlib.Path(sys.argv[4]).write_text(json.dumps(result, default=str))"
    )
    incremental_dir = work_dir / "incremental"
    incremental_dir.mkdir(exist_ok=True)
    try:
        step = measure(
            "incremental_day",
            [
                sys.executable,
                "-c",
                script,
                str(leads),
                str(incremental_dir),
                str(PROJECT_DIR / "bench"),
                str(out),
            ],
            env,
            log_dir,
        )
    except RuntimeError as error:
        # The incremental figure is one of several: record why it is missing, keep the rest.
        print(f"  incremental_day failed, recorded and skipped: {error}", flush=True)
        return Step("incremental_day", 0.0, 0.0, detail={"error": str(error)[-2000:]})
    step.detail = json.loads(out.read_text())
    return step


def postgres_steps(
    work_dir: Path, landing: Path, log_dir: Path, dbt_options: list[str], env: dict[str, str]
) -> list[Step]:
    """Ingest into and build on a new database of the local PostgreSQL server (dropped after)."""
    subprocess.run(
        ["bash", str(PROJECT_DIR / "scripts" / "postgres.sh")], check=True, capture_output=True
    )
    import psycopg2

    from revops.engines.postgres import drop_database

    settings = {
        "REVOPS_PG_HOST": os.environ.get("REVOPS_PG_HOST", "localhost"),
        "REVOPS_PG_PORT": os.environ.get("REVOPS_PG_PORT", "5432"),
        "REVOPS_PG_USER": os.environ.get("REVOPS_PG_USER", "revops"),
        "REVOPS_PG_PASSWORD": os.environ.get("REVOPS_PG_PASSWORD", "revops"),
        "REVOPS_PG_DBNAME": f"revops_bench_{uuid.uuid4().hex[:8]}",
    }
    admin = psycopg2.connect(
        host=settings["REVOPS_PG_HOST"],
        port=int(settings["REVOPS_PG_PORT"]),
        user=settings["REVOPS_PG_USER"],
        password=settings["REVOPS_PG_PASSWORD"],
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{settings["REVOPS_PG_DBNAME"]}"')
    pg_env = {**env, **settings}
    ingest = (
        "import pathlib, sys; from revops.ingest import postgres_url_from_env, run_ingestion; "
        "run_ingestion(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), "
        "postgres=postgres_url_from_env()).raise_for_errors()"
    )
    steps = []
    try:
        steps.append(
            measure(
                "ingest_postgres",
                [
                    sys.executable,
                    "-c",
                    ingest,
                    str(landing),
                    str(work_dir / "postgres-state.duckdb"),
                ],
                pg_env,
                log_dir,
            )
        )
        target = work_dir / "target-postgres"
        step = measure(
            "dbt_build_postgres",
            [
                str(BIN / "dbt"),
                "build",
                "--target",
                "postgres",
                "--target-path",
                str(target),
                *dbt_options,
            ],
            pg_env,
            log_dir,
        )
        step.detail = dbt_detail(target, step.seconds)
        steps.append(step)
    finally:
        try:
            drop_database(admin, settings["REVOPS_PG_DBNAME"])
        except (RuntimeError, psycopg2.Error) as error:  # never lose the measurements over it
            print(f"  {error}; drop it by hand", flush=True)
        finally:
            admin.close()
    return steps


def summarise(leads: int, seed: int, steps: list[Step], landing_bytes: int, manifest: dict) -> dict:
    by_name = {step.name: step for step in steps}
    end_to_end = sum(
        by_name[name].seconds for name in ("ingest", "dbt_build", "validations", "report")
    )
    dbt = by_name["dbt_build"]
    ratios = {
        "end_to_end_seconds": round(end_to_end, 2),
        "end_to_end_vs_lower_bound": round(end_to_end / by_name["lower_bound"].seconds, 1),
        "validations_vs_dbt_build": round(by_name["validations"].seconds / dbt.seconds, 2),
        "dbt_fixed_cost_share_of_dbt_build": round(
            dbt.detail["fixed_cost_seconds"] / dbt.seconds, 2
        ),
        "peak_rss_mib": max(step.peak_rss_mib for step in steps),
    }
    ratios["dbt_fixed_cost_share_of_end_to_end"] = round(
        dbt.detail["fixed_cost_seconds"] / end_to_end, 2
    )
    # Time outside SQL, estimated: dbt's fixed cost (start-up, parse, compile, scheduling), the
    # validation process outside run_suites (interpreter, imports), and the report (it reads
    # the checks' outcomes and runs no SQL). GX's context set-up sits inside run_suites and
    # the ingestion's Python inside its step, so this is a lower estimate; Dagster is not in
    # these steps (in-process it added 0.4 s for 30 assets, STACK-NOTES.md).
    validations = by_name["validations"]
    outside_sql = (
        dbt.detail["fixed_cost_seconds"]
        + max(0.0, validations.seconds - validations.detail.get("run_suites_seconds", 0.0))
        + by_name["report"].seconds
    )
    ratios["outside_sql_share_of_end_to_end_estimate"] = round(outside_sql / end_to_end, 2)
    ratios["report_vs_validations"] = round(
        by_name["report"].seconds / by_name["validations"].seconds, 2
    )
    incremental = by_name.get("incremental_day")
    if incremental is not None and not incremental.detail.get("error"):
        ratios["incremental_day_vs_full_build"] = incremental_ratio(incremental.detail, dbt)
    if "dbt_build_postgres" in by_name:
        ratios["dbt_build_postgres_vs_duckdb"] = round(
            by_name["dbt_build_postgres"].seconds / dbt.seconds, 1
        )
    return {
        "leads": leads,
        "seed": seed,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # Other jobs share the 2 cores: the load average tells how much they took.
            "load_average_1_5_15": [round(value, 2) for value in os.getloadavg()],
            "note": "2 cores shared with other jobs: times are upper bounds",
        },
        "landing": {"bytes": landing_bytes, "rows": manifest.get("row_counts", {})},
        "steps": [asdict(step) for step in steps],
        "ratios": ratios,
    }


def incremental_ratio(detail: dict, dbt: Step) -> float | None:
    """The incremental day's time over the full build's: the module's own ratio when it gives
    one (it may build its own full baseline), else its seconds over this run's dbt build."""
    for name in ("incremental_vs_full", "ratio", "incremental_day_vs_full_build"):
        if isinstance(detail.get(name), int | float):
            return round(float(detail[name]), 3)
    for name in ("incremental_seconds", "seconds"):
        if isinstance(detail.get(name), int | float):
            full = detail.get("full_seconds") or dbt.seconds
            return round(float(detail[name]) / float(full), 3)
    return None


def markdown_table(documents: list[dict]) -> str:
    """One table: steps as rows, scales as columns (seconds / peak MiB), then the ratios."""
    documents = sorted(documents, key=lambda document: document["leads"])
    header = "| step | " + " | ".join(f"{doc['leads']:,} leads" for doc in documents) + " |"
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run.py` (`make bench`); seconds of wall time / peak RSS in MiB per",
        "step, each step its own process. End to end = ingest + dbt_build + validations +",
        "report (generation excluded). The machine has 2 cores shared with other work.",
        "",
        header,
        "| --- |" + " ---: |" * len(documents),
        # The scales are run separately (1M alone takes ~30 min): say when each column was.
        "| measured at (UTC) | "
        + " | ".join(document["measured_at"][:16].replace("T", " ") for document in documents)
        + " |",
    ]
    names: list[str] = []
    for document in documents:
        for step in document["steps"]:
            if step["name"] not in names:
                names.append(step["name"])
    for name in names:
        cells = []
        for document in documents:
            step = next((s for s in document["steps"] if s["name"] == name), None)
            cells.append(
                "" if step is None else f"{step['seconds']:.1f} s / {step['peak_rss_mib']:.0f} MiB"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratio_names: list[str] = []
    for document in documents:
        for name in document["ratios"]:
            if name not in ratio_names:
                ratio_names.append(name)
    for name in ratio_names:
        cells = [str(document["ratios"].get(name, "")) for document in documents]
        lines.append(f"| **{name}** | " + " | ".join(cells) + " |")
    loads = [str(document["machine"]["load_average_1_5_15"]) for document in documents]
    lines.append("| load average at the end (1, 5, 15 min) | " + " | ".join(loads) + " |")
    if len(documents) > 1:
        smallest, largest = documents[0], documents[-1]
        lines += [
            "",
            (
                f"Memory against scale ({largest['leads']:,} leads over "
                f"{smallest['leads']:,}, peak RSS; 1.0 is flat):"
            ),
            "",
        ]
        for name in ("generate", "ingest", "dbt_build", "validations", "report"):
            pair = [
                next((s for s in document["steps"] if s["name"] == name), None)
                for document in (smallest, largest)
            ]
            if None not in pair and pair[0]["peak_rss_mib"]:
                ratio = pair[1]["peak_rss_mib"] / pair[0]["peak_rss_mib"]
                lines.append(f"- {name}: {ratio:.2f}")
    lines.append("")
    lines.append("Slowest models (DuckDB, seconds):")
    lines.append("")
    for document in documents:
        dbt = next(s for s in document["steps"] if s["name"] == "dbt_build")["detail"]
        slowest = ", ".join(f"{row['model']} {row['seconds']:.2f}" for row in dbt["models"][:5])
        lines.append(
            f"- {document['leads']:,} leads: {slowest}; fixed cost {dbt['fixed_cost_seconds']} s "
            f"of {dbt['run_elapsed_seconds'] + dbt['fixed_cost_seconds']:.1f} s"
        )
        if dbt.get("slowest_tests"):
            tests = ", ".join(
                f"{row['test']} {row['seconds']:.2f}" for row in dbt["slowest_tests"][:5]
            )
            lines.append(f"  - slowest data tests: {tests}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--leads",
        default="10000,100000",
        help="comma-separated scales (default 10000,100000; 1M is 1000000)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres",
        default="",
        help="comma-separated scales at which to also ingest into and build on the local "
        "PostgreSQL server (e.g. 10000)",
    )
    parser.add_argument(
        "--incremental",
        default=None,
        help="comma-separated scales at which to also measure one new day built incrementally "
        "(bench/incremental.py); default: every scale of --leads, '' for none",
    )
    parser.add_argument(
        "--work-dir",
        default=os.environ.get("REVOPS_BENCH_DIR", "/tmp/revops-bench"),
        help="where the landing files and warehouses go (deleted per scale)",
    )
    parser.add_argument("--out", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    incremental_scales = (args.leads if args.incremental is None else args.incremental).split(",")
    for leads in (int(value) for value in args.leads.split(",")):
        postgres = str(leads) in args.postgres.split(",")
        incremental = str(leads) in incremental_scales
        document = run_scale(leads, args.seed, Path(args.work_dir), postgres, incremental)
        (out_dir / f"{leads}.json").write_text(json.dumps(document, indent=2) + "\n")
        print("  ratios:", json.dumps(document["ratios"]), flush=True)
    documents = [json.loads(path.read_text()) for path in sorted(out_dir.glob("*.json"))]
    (out_dir / "README.md").write_text(markdown_table(documents))
    print(f"wrote {out_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
