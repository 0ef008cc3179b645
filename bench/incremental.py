"""The daily run's cost: one new day of exports loaded and built incrementally, against the
full build of the days before it (issue 6's target: under 10% of the full build).

    python bench/incremental.py --leads 10000 [--work-dir /tmp/revops-incremental]
        [--landing <a folder `revops generate --leads 10000` wrote>]

Steps, each its own process as a user runs them, wall time measured from outside:
1. `revops generate` (or a copy of `--landing`: 1M leads take ~9 minutes to generate),
   then `split_off_next_day` takes the rows created on the last day out
   of the export files (revops/generate/next_day.py): landing holds days 1..N;
2. full: `revops ingest` + `dbt build` (seeds, models, data tests; unit tests excluded, they
   cost the same on any data) into a fresh DuckDB file;
3. the day N+1 files are landed; incremental: `revops ingest` (the ledger skips every file
   already loaded) + `dbt build` (the incremental models reprocess what changed).
The ratio is incremental (ingest + build) over full (ingest + build). dbt's per-node times
(run_results.json) are split into models and tests, since the tests still read whole tables.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from revops.generate.next_day import split_off_next_day

_BIN = Path(sys.executable).parent


def _timed(name: str, command: list[str], env: dict[str, str], log_dir: Path) -> float:
    """Run one step, its output to log_dir/<name>.log; return its wall seconds."""
    started = time.perf_counter()
    with (log_dir / f"{name}.log").open("w") as log:
        completed = subprocess.run(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, check=False
        )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {completed.returncode}); see {log_dir / name}.log")
    print(f"  {name}: {seconds:.1f} s", flush=True)
    return seconds


def _node_seconds(target_dir: Path) -> dict[str, float]:
    """Seconds dbt spent inside models and inside tests (summed node times)."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    totals = {"models": 0.0, "tests": 0.0}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        if kind == "model":
            totals["models"] += result["execution_time"]
        elif kind in ("test", "unit_test"):
            totals["tests"] += result["execution_time"]
    return {name: round(seconds, 2) for name, seconds in totals.items()}


def _model_seconds(target_dir: Path, models: tuple[str, ...]) -> dict[str, float]:
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[-1]: round(result["execution_time"], 2)
        for result in results
        if result["unique_id"].split(".")[-1] in models and result["unique_id"].startswith("model.")
    }


def _slowest_nodes(target_dir: Path, count: int = 25) -> list[dict]:
    """The day's slowest nodes (models and tests), where its seconds go."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return [
        {"node": result["unique_id"].split(".")[-1], "kind": result["unique_id"].split(".")[0],
         "seconds": round(result["execution_time"], 2)}
        for result in sorted(results, key=lambda r: -r["execution_time"])[:count]
    ]


def measure_incremental_day(leads: int, work_dir: Path, landing_copy: Path | None = None) -> dict:
    """Build days 1..N of a generated dataset in full, land day N+1, run the daily
    incremental run; return wall seconds of both (ingest + dbt build), their parts, and
    `incremental_vs_full`, the ratio of the two. `landing_copy`: a dataset generated before,
    copied instead of generating one (its manifest must say `leads`)."""
    work_dir = Path(work_dir).resolve()
    if work_dir.exists():
        shutil.rmtree(work_dir)
    landing, next_day, log_dir = work_dir / "landing", work_dir / "next_day", work_dir / "logs"
    target = work_dir / "target"
    log_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "REVOPS_LANDING_DIR": str(landing),
        "REVOPS_DUCKDB_PATH": str(work_dir / "revops.duckdb"),
        "REVOPS_REPORTS_DIR": str(work_dir / "reports"),
    }
    dbt_build = [
        str(_BIN / "dbt"),
        "build",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        "duckdb",
        "--target-path",
        str(target),
        "--log-path",
        str(log_dir),
        # Unit tests check SQL on fixed fixtures: the same seconds at every scale and
        # every day, a CI job rather than part of the daily data run.
        "--exclude",
        "resource_type:unit_test",
    ]
    ingest = [str(_BIN / "revops"), "ingest"]

    print(f"incremental day at {leads:,} leads in {work_dir}", flush=True)
    if landing_copy is None:
        _timed(
            "generate",
            [str(_BIN / "revops"), "generate", "--leads", str(leads), "--landing", str(landing)],
            env,
            log_dir,
        )
    else:
        generated = json.loads((Path(landing_copy) / "_manifest.json").read_text())["leads"]
        if generated != leads:
            raise ValueError(f"{landing_copy} holds {generated:,} leads, not {leads:,}")
        shutil.copytree(landing_copy, landing)
    split = split_off_next_day(landing, next_day)
    print(
        f"  day N+1 = {split['day']}: {split['rows']:,} rows in {len(split['files'])} files",
        flush=True,
    )

    full_ingest = _timed("full_ingest", ingest, env, log_dir)
    full_build = _timed("full_dbt_build", dbt_build, env, log_dir)
    full_nodes = _node_seconds(target)
    marts = (
        "fct_touchpoints",
        "fct_lifecycle_events",
        "fct_attribution",
        "stg_map__activities",
        "stg_crm__lead_history",
    )
    full_marts = _model_seconds(target, marts)

    for path in split["files"]:
        landed = landing / path.relative_to(next_day)
        landed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, landed)
    day_ingest = _timed("incremental_ingest", ingest, env, log_dir)
    day_build = _timed("incremental_dbt_build", dbt_build, env, log_dir)
    day_nodes = _node_seconds(target)
    day_marts = _model_seconds(target, marts)
    day_slowest = _slowest_nodes(target)

    full_seconds = full_ingest + full_build
    incremental_seconds = day_ingest + day_build
    result = {
        "leads": leads,
        "next_day": split["day"].isoformat(),
        "next_day_rows": split["rows"],
        "full_seconds": round(full_seconds, 2),
        "full_ingest_seconds": round(full_ingest, 2),
        "full_dbt_build_seconds": round(full_build, 2),
        "full_dbt_nodes": full_nodes,
        "full_incremental_models": full_marts,
        "incremental_seconds": round(incremental_seconds, 2),
        "incremental_ingest_seconds": round(day_ingest, 2),
        "incremental_dbt_build_seconds": round(day_build, 2),
        "incremental_dbt_nodes": day_nodes,
        "incremental_incremental_models": day_marts,
        "incremental_slowest_nodes": day_slowest,
        "incremental_vs_full": round(incremental_seconds / full_seconds, 3),
        "models_incremental_vs_full": round(day_nodes["models"] / full_nodes["models"], 3),
    }
    print(json.dumps(result, indent=2), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/revops-incremental"))
    parser.add_argument("--landing", type=Path, default=None,
                        help="copy this generated dataset instead of generating one")
    parser.add_argument("--out", type=Path, default=None, help="also write the result here (JSON)")
    args = parser.parse_args(argv)
    result = measure_incremental_day(args.leads, args.work_dir / str(args.leads), args.landing)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
