"""Replay one daily run on copies of the same warehouse, to compare code changes at scale.

A daily-run benchmark (bench/incremental.py) builds everything from scratch each time, and on
a 2-core machine whose speed varies between sessions its ratio moves by more than many
changes do. This keeps the expensive part (the full build) and replays only the day:

    python bench/replay_day.py setup  --landing <a generated dataset> --work-dir DIR
    python bench/replay_day.py ingest --work-dir DIR        # the day's ingestion, timed
    python bench/replay_day.py dbt    --work-dir DIR --tag X # the day's dbt build, timed
    python bench/replay_day.py rebuild --work-dir DIR --select M # new code for models M

`setup` splits the last day off (revops/generate/next_day.py), loads and builds days 1..N,
keeps a copy of that warehouse (full.duckdb), lands the day and ingests it, and keeps a copy of
that too (day_ingested.duckdb). `ingest` restores full.duckdb and times `revops ingest` of the
day; `dbt` restores day_ingested.duckdb and times the day's `dbt build` (unit tests excluded,
as in bench/incremental.py), then prints the slowest nodes from run_results.json. Run the same
command before and after a change and compare the node times, not only the total.
`rebuild` is for a change that adds state to models (a model made incremental, a new column):
it rebuilds `--select` in full on full.duckdb with the current code, keeps that as the new
full.duckdb, and ingests the day again into a new day_ingested.duckdb (the day's raw rows
are the same; only those models' days 1..N state is new).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from revops.generate.next_day import split_off_next_day

_BIN = Path(sys.executable).parent


def _env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "REVOPS_LANDING_DIR": str(work / "landing"),
        "REVOPS_DUCKDB_PATH": str(work / "revops.duckdb"),
        "REVOPS_REPORTS_DIR": str(work / "reports"),
    }


def _dbt_build(work: Path, tag: str) -> list[str]:
    return [
        str(_BIN / "dbt"), "build", "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR), "--target", "duckdb",
        "--target-path", str(work / f"target_{tag}"), "--log-path", str(work / "logs"),
        "--exclude", "resource_type:unit_test",
    ]


def _timed(name: str, command: list[str], work: Path) -> float:
    started = time.perf_counter()
    with (work / f"{name}.log").open("w") as log:
        done = subprocess.run(command, env=_env(work), stdout=log, stderr=subprocess.STDOUT,
                              cwd=PROJECT_DIR, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{name} failed (exit {done.returncode}); see {work / name}.log")
    print(f"{name}: {seconds:.1f} s", flush=True)
    return seconds


def _copy_warehouse(source: Path, target: Path) -> None:
    """Copy a warehouse file and check the copy opens and is whole. Once (session 20) the kept
    copy of the day's warehouse was 4.2 GB of a 7.6 GB file, and dbt failed reading a block
    past its end; the same ingestion run again gave a sound file. Stop there, naming it."""
    shutil.copy2(source, target)
    if target.stat().st_size != source.stat().st_size:
        raise SystemExit(f"copying {source} to {target}: {target.stat().st_size:,} of "
                         f"{source.stat().st_size:,} bytes")
    try:
        with duckdb.connect(str(target), read_only=True) as connection:
            connection.sql("select * from pragma_database_size()").fetchall()
    except duckdb.Error as error:
        raise SystemExit(f"{target} (a copy of {source}) does not open: {error}") from error


def _slowest_nodes(work: Path, tag: str, count: int) -> None:
    results = json.loads((work / f"target_{tag}" / "run_results.json").read_text())["results"]
    totals = {"model": 0.0, "test": 0.0}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        if kind in totals:
            totals[kind] += result["execution_time"]
    print("node seconds: " + ", ".join(f"{kind}s {s:.1f}" for kind, s in totals.items()))
    for result in sorted(results, key=lambda r: -r["execution_time"])[:count]:
        print(f"{result['execution_time']:8.2f}  {result['unique_id']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["setup", "ingest", "dbt", "rebuild"])
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--landing", type=Path, help="setup: the generated dataset to copy")
    parser.add_argument("--tag", default="replay", help="dbt: names the target folder")
    parser.add_argument("--top", type=int, default=40, help="dbt: how many nodes to list")
    parser.add_argument("--select", nargs="+", help="rebuild: the models to rebuild in full")
    parser.add_argument("--dbt-args", default="",
                        help="dbt: more arguments for the day's build, e.g. '--threads 4'")
    args = parser.parse_args(argv)
    work = args.work_dir.resolve()
    ingest = [str(_BIN / "revops"), "ingest"]
    if args.step == "setup":
        if args.landing is None:
            parser.error("setup needs --landing")
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        shutil.copytree(args.landing, work / "landing")
        split = split_off_next_day(work / "landing", work / "next_day")
        print(f"day N+1 = {split['day']}: {split['rows']:,} rows in {len(split['files'])} files")
        _timed("full_ingest", ingest, work)
        _timed("full_dbt_build", _dbt_build(work, "full"), work)
        _copy_warehouse(work / "revops.duckdb", work / "full.duckdb")
        for path in split["files"]:
            landed = work / "landing" / path.relative_to(work / "next_day")
            landed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, landed)
        _timed("day_ingest", ingest, work)
        _copy_warehouse(work / "revops.duckdb", work / "day_ingested.duckdb")
    elif args.step == "rebuild":
        if not args.select:
            parser.error("rebuild needs --select")
        _copy_warehouse(work / "full.duckdb", work / "revops.duckdb")
        rebuild = [*_dbt_build(work, "rebuild")[:-2], "--full-refresh", "--select", *args.select,
                   "--exclude", "resource_type:test", "resource_type:unit_test"]
        _timed("rebuild", rebuild, work)
        _copy_warehouse(work / "revops.duckdb", work / "full.duckdb")
        _timed("day_ingest", ingest, work)
        _copy_warehouse(work / "revops.duckdb", work / "day_ingested.duckdb")
    elif args.step == "ingest":
        _copy_warehouse(work / "full.duckdb", work / "revops.duckdb")
        _timed("day_ingest_replay", ingest, work)
    else:
        _copy_warehouse(work / "day_ingested.duckdb", work / "revops.duckdb")
        # The copy leaves ~11 GB of dirty pages at 1M leads; flushed during the build, they
        # stalled it on I/O (replays of the same code took 89-105 s instead of 66 s).
        os.sync()
        target = work / f"target_{args.tag}"
        if not target.exists():  # start from the full build's partial-parse state
            shutil.copytree(work / "target_full", target)
        build = [*_dbt_build(work, args.tag), *args.dbt_args.split()]
        _timed(f"day_dbt_build_{args.tag}", build, work)
        _slowest_nodes(work, args.tag, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
