"""`revops`: the command line for the warehouse.

    revops generate   write a realistic demo dataset into the landing folder
    revops ingest     load the landing files into the raw schema (no Dagster)
    revops run        materialise every Dagster asset in-process: ingestion -> dbt build -> checks
    revops backfill   reprocess the days --from .. --to in the incremental models
    revops status     what was loaded when, row counts, last check results, the BI copy
    revops dev        start the Dagster UI on the same definitions
    revops dashboard  write the alignment dashboard (static HTML site) from the warehouse
"""

import argparse
import os
import sys
import time
from pathlib import Path

from revops import paths


def _say(message: str) -> None:
    print(message, flush=True)


def _cmd_generate(args: argparse.Namespace) -> int:
    from revops.generate import generate

    landing = Path(args.landing).resolve() if args.landing else paths.landing_dir()
    started = time.perf_counter()
    _say(f"generating {args.leads:,} leads (seed {args.seed}) into {landing}")
    manifest = generate(
        landing, leads=args.leads, seed=args.seed, deviations=not args.no_deviations, progress=_say
    )
    total = sum(manifest["row_counts"].values())
    _say(f"wrote {total:,} rows in {time.perf_counter() - started:.1f}s; "
         f"ground truth in {landing / '_manifest.json'}")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from revops.ingest import run_ingestion

    report = run_ingestion(paths.landing_dir(), paths.duckdb_path(), progress=_say)
    _say(str(report))
    return 1 if report.failed_tables else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from revops.runner import run_all

    dbt_config = {"test_every_row": True} if args.test_every_row else None
    return run_all(select=args.select, say=_say, dbt_config=dbt_config)


def _cmd_backfill(args: argparse.Namespace) -> int:
    from revops.backfill import dbt_build_config, parse_window

    try:
        first, last = parse_window(args.date_from, args.date_to)
    except ValueError as error:
        _say(f"revops backfill: {error}")
        return 2
    _say(f"backfill {first} .. {last} ({(last - first).days + 1} days): load new landing files, "
         "then recompute every person and opportunity with an event on those days")
    from revops.runner import run_all

    return run_all(select=args.select, say=_say, dbt_config=dbt_build_config(first, last))


def _cmd_status(args: argparse.Namespace) -> int:
    from revops.status import print_status

    return print_status(say=_say)


def _cmd_dev(args: argparse.Namespace) -> int:
    from revops.runner import dagster_home

    os.environ["DAGSTER_HOME"] = str(dagster_home())
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "--port", str(args.port)]
    _say(" ".join(command))
    os.execv(command[0], command)
    return 0  # not reached


def _cmd_definitions(args: argparse.Namespace) -> int:
    from revops.definitions import load
    from revops.definitions_doc import short_version, write_documents

    out_dir = Path(args.out).resolve() if args.out else paths.reports_dir()
    definitions = load()
    for path in write_documents(out_dir, definitions):
        _say(f"wrote {path}")
    _say(f"definitions version {short_version(definitions)} ({definitions.fingerprint})")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from expectations.report import write_report

    out_dir = Path(args.out).resolve() if args.out else paths.reports_dir()
    database = Path(args.database).resolve() if args.database else paths.duckdb_path()
    report = write_report(database, out_dir, data_docs=not args.no_data_docs)
    for gap in report.gaps:
        figure = "n/a" if gap.gap is None else f"{gap.gap:.1%}"
        _say(f"  {gap.group:<11} gap {figure:>6}  ({gap.records_not_following} of "
             f"{gap.records_in_scope} records depart; {gap.not_built} not built yet)")
    _say(f"wrote {report.html_path} and {report.markdown_path}"
         + (f"; Data Docs {report.data_docs_path}" if report.data_docs_path else "")
         + f" ({report.run.seconds:.1f}s)")
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from revops.dashboard.site import build_dashboard

    out_dir = Path(args.out).resolve() if args.out else paths.reports_dir() / "dashboard"
    database = Path(args.database).resolve() if args.database else paths.duckdb_path()
    manifest = Path(args.semantic_manifest).resolve() if args.semantic_manifest else None
    result = build_dashboard(out_dir, database, semantic_manifest=manifest)
    _say(f"wrote {result.chart_count} charts to {result.index_path} and the definitions to "
         f"{result.metrics_path} ({result.seconds:.1f}s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a demo dataset into the landing folder")
    generate.add_argument("--leads", type=int, default=5000, help="number of leads (100 to 2,000,000)")
    generate.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files")
    generate.add_argument("--no-deviations", action="store_true",
                          help="generate data that follows every documented definition")
    generate.add_argument("--landing", help="landing folder (default: $REVOPS_LANDING_DIR or ./landing)")
    generate.set_defaults(handler=_cmd_generate)

    ingest = commands.add_parser("ingest", help="load landing files into the raw schema")
    ingest.set_defaults(handler=_cmd_ingest)

    run = commands.add_parser("run", help="materialise every asset in-process")
    run.add_argument("--select", help="Dagster asset selection, e.g. 'key:raw/*' or 'group:staging'")
    run.add_argument("--test-every-row", action="store_true",
                     help="data tests read every row, not only those the run rewrote (an audit)")
    run.set_defaults(handler=_cmd_run)

    backfill = commands.add_parser(
        "backfill", help="reprocess the days FROM..TO (UTC event dates) in the incremental models")
    backfill.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                          help="first day, included")
    backfill.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                          help="last day, included")
    backfill.add_argument("--select", help="Dagster asset selection (default: everything)")
    backfill.set_defaults(handler=_cmd_backfill)

    status = commands.add_parser(
        "status", help="what was loaded when, row counts, the last run's checks, the BI copy")
    status.set_defaults(handler=_cmd_status)

    dev = commands.add_parser("dev", help="start the Dagster UI")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(handler=_cmd_dev)

    definitions = commands.add_parser(
        "definitions", help="write the definitions document (definitions.md and .html)")
    definitions.add_argument("--out", help="output folder (default: $REVOPS_REPORTS_DIR or ./reports)")
    definitions.set_defaults(handler=_cmd_definitions)

    report = commands.add_parser(
        "report", help="validate the warehouse against the definitions; write the RevOps "
                       "data-quality report (HTML + Markdown) and GX Data Docs")
    report.add_argument("--out", help="output folder (default: $REVOPS_REPORTS_DIR or ./reports)")
    report.add_argument("--database", help="DuckDB file (default: $REVOPS_DUCKDB_PATH)")
    report.add_argument("--no-data-docs", action="store_true", help="skip GX Data Docs")
    report.set_defaults(handler=_cmd_report)

    dashboard = commands.add_parser(
        "dashboard", help="write the alignment dashboard (static HTML, readable offline)")
    dashboard.add_argument("--out", help="output folder (default: $REVOPS_REPORTS_DIR/dashboard)")
    dashboard.add_argument("--database", help="DuckDB file (default: $REVOPS_DUCKDB_PATH)")
    dashboard.add_argument("--semantic-manifest",
                           help="semantic_manifest.json to plan from (default: run dbt parse)")
    dashboard.set_defaults(handler=_cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "leads", None) is not None and not 100 <= args.leads <= 2_000_000:
        build_parser().error(f"--leads must be between 100 and 2,000,000, got {args.leads}")
    from revops.ingest.locking import WarehouseLockedError

    try:
        return args.handler(args)
    except WarehouseLockedError as error:
        # An expected operating condition, not a bug: the message says who and what to do.
        print(f"revops {args.command}: {error}", file=sys.stderr, flush=True)
        return 75  # EX_TEMPFAIL: try again later


if __name__ == "__main__":
    sys.exit(main())
