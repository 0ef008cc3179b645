"""The RevOps data-quality report: documented definitions against actual data.

`write_report(database, reports_dir)` validates every suite (reusing, with `checked=`, what the
same run's checks already found), builds GX Data Docs (HTML, under <reports_dir>/gx/) of what
it validated, and writes one summary page for RevOps in HTML and Markdown:
  * per definition: the documented sentence, the share of records that follow it, the count
    that do not, a handful of example record ids, and the trend against the previous run;
  * the gap table: per definition group, one figure - the share of checked records that
    depart from the documented definitions (records not following / records in scope, over
    the group's record-level expectations; share-level rules such as "90% within SLA" are
    listed but not counted twice).
The trend reads and appends <reports_dir>/data_quality_history.json (the last 50 runs).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectations.run import Outcome, RunResult, run_suites, suite_specs
from expectations.suites import GROUPS
from revops.definitions import Definitions, load

HISTORY_FILE = "data_quality_history.json"
HTML_FILE = "data_quality.html"
MARKDOWN_FILE = "data_quality.md"
GX_DIR = "gx"
# Enough runs for a quarter of daily runs; older ones add nothing to "against the last run".
HISTORY_LENGTH = 50


@dataclass(frozen=True)
class GroupGap:
    group: str
    definitions: int
    definitions_followed: int
    records_in_scope: int
    records_not_following: int
    not_built: int

    @property
    def gap(self) -> float | None:
        """Share of checked records that depart from the group's definitions."""
        if not self.records_in_scope:
            return None
        return self.records_not_following / self.records_in_scope


@dataclass(frozen=True)
class Report:
    run: RunResult
    gaps: list[GroupGap]
    previous: dict[str, Any] | None
    html_path: Path
    markdown_path: Path
    data_docs_path: Path | None
    # Suites whose outcomes came from the same run's checks instead of a new validation.
    reused_suites: int = 0


def _is_share_rule(outcome: Outcome) -> bool:
    # Share-level rules return one row per segment/version below the line: scope 0 or 1.
    return "_share__" in outcome.name


def group_gaps(outcomes: list[Outcome]) -> list[GroupGap]:
    """Return one GroupGap per definition group, in GROUPS order."""
    gaps = []
    for group in GROUPS:
        members = [outcome for outcome in outcomes if outcome.group == group]
        if not members:
            continue
        measured = [outcome for outcome in members if outcome.status != "not built yet"]
        counted = [outcome for outcome in measured if not _is_share_rule(outcome)]
        gaps.append(GroupGap(
            group=group,
            definitions=len(members),
            definitions_followed=sum(outcome.follows_definition for outcome in measured),
            records_in_scope=sum(outcome.scope_count or 0 for outcome in counted),
            records_not_following=sum(min(outcome.unexpected_count or 0, outcome.scope_count or 0)
                                      for outcome in counted),
            not_built=len(members) - len(measured),
        ))
    return gaps


def _read_history(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: the data-quality history is not valid JSON ({error})") from error
    if not isinstance(history, list):
        raise ValueError(  # noqa: TRY004 - a malformed file, not a caller's wrong type
            f"{path}: the data-quality history must be a JSON list of runs")
    return history


def trend(outcome: Outcome, previous: dict[str, Any] | None) -> str:
    """Return the change of the violation count since the previous run, as text."""
    if outcome.unexpected_count is None:
        return ""
    if not previous or outcome.name not in previous.get("counts", {}):
        return "new"
    before = previous["counts"][outcome.name]
    if before is None:
        return "new"
    delta = outcome.unexpected_count - before
    if delta == 0:
        return "= 0"
    return f"+{delta}" if delta > 0 else f"\u2212{-delta}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _status(outcome: Outcome) -> str:
    if outcome.status == "not built yet":
        return "not built yet"
    if outcome.status == "passed":
        return "follows"
    if outcome.follows_definition:
        return "within documented share"
    return "blocks downstream" if outcome.severity == "block" else "departs"


def render_markdown(report_run: RunResult, gaps: list[GroupGap],
                    previous: dict[str, Any] | None) -> str:
    lines = [
        "# Data quality: documented definitions vs actual data",
        "",
        (f"Run {report_run.started_at} on `{report_run.database}`; definitions version "
         f"`{report_run.definitions_fingerprint[:12]}`; previous run: "
         f"{previous['started_at'] if previous else 'none'}."),
        "",
        "## Gap per definition group",
        "",
        ("| Group | Gap (records departing) | Records checked | Records departing "
         "| Definitions followed | Not built yet |"),
        "|---|---:|---:|---:|---:|---:|",
    ]
    for gap in gaps:
        lines.append(
            f"| {gap.group} | {_percent(gap.gap) or 'n/a'} | {gap.records_in_scope:,} | "
            f"{gap.records_not_following:,} | {gap.definitions_followed} of "
            f"{gap.definitions - gap.not_built} | {gap.not_built} |"
        )
    lines += ["", "## Per definition", "",
              "| Group | Severity | Definition | Follows | Not following | Examples | Trend | Status |",
              "|---|---|---|---:|---:|---|---:|---|"]
    for outcome in report_run.outcomes:
        definition = outcome.definition.replace("|", "\\|")
        lines.append(
            f"| {outcome.group} | {outcome.severity} | {definition} | "
            f"{_percent(outcome.share_following)} | "
            f"{'' if outcome.unexpected_count is None else outcome.unexpected_count} | "
            f"{', '.join(outcome.example_ids)} | {trend(outcome, previous)} | {_status(outcome)} |"
        )
    return "\n".join(lines) + "\n"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border: 1px solid #cbd2d9; padding: 0.3rem 0.6rem; vertical-align: top; }
th { background: #f0f4f8; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.departs td.status { color: #b42318; font-weight: 600; }
tr.blocks td.status { color: #fff; background: #b42318; font-weight: 600; }
tr.follows td.status { color: #067647; }
code { font-size: 0.9em; }
"""


def render_html(report_run: RunResult, gaps: list[GroupGap], previous: dict[str, Any] | None,
                data_docs_link: str | None) -> str:
    escape = html.escape
    gap_rows = "\n".join(
        f"<tr><td>{escape(gap.group)}</td><td class='number gap'>{_percent(gap.gap) or 'n/a'}</td>"
        f"<td class='number'>{gap.records_in_scope:,}</td>"
        f"<td class='number'>{gap.records_not_following:,}</td>"
        f"<td class='number'>{gap.definitions_followed} of {gap.definitions - gap.not_built}</td>"
        f"<td class='number'>{gap.not_built}</td></tr>"
        for gap in gaps
    )
    css_class = {"follows": "follows", "within documented share": "follows",
                 "departs": "departs", "blocks downstream": "blocks"}
    definition_rows = "\n".join(
        f"<tr class='{css_class.get(_status(outcome), '')}' data-name='{escape(outcome.name)}'>"
        f"<td>{escape(outcome.group)}</td><td>{escape(outcome.severity)}</td>"
        f"<td>{escape(outcome.definition)}</td>"
        f"<td class='number'>{_percent(outcome.share_following)}</td>"
        f"<td class='number'>{'' if outcome.unexpected_count is None else outcome.unexpected_count}</td>"
        f"<td>{escape(', '.join(outcome.example_ids))}</td>"
        f"<td class='number'>{escape(trend(outcome, previous))}</td>"
        f"<td class='status'>{escape(_status(outcome))}</td></tr>"
        for outcome in report_run.outcomes
    )
    docs = (f"<p>Every expectation with its query and result: "
            f"<a href='{escape(data_docs_link)}'>Great Expectations Data Docs</a>.</p>"
            if data_docs_link else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Data quality: documented definitions vs actual data</title>
<style>{_STYLE}</style></head>
<body>
<h1>Data quality: documented definitions vs actual data</h1>
<p>Run {escape(report_run.started_at)} on <code>{escape(report_run.database)}</code>;
definitions version <code>{escape(report_run.definitions_fingerprint[:12])}</code>;
previous run: {escape(previous['started_at']) if previous else 'none'}.</p>
{docs}
<h2>Gap per definition group</h2>
<p>The gap is the share of checked records that depart from the group's documented
definitions.</p>
<table id="gap-table">
<thead><tr><th>Group</th><th>Gap (records departing)</th><th>Records checked</th>
<th>Records departing</th><th>Definitions followed</th><th>Not built yet</th></tr></thead>
<tbody>
{gap_rows}
</tbody></table>
<h2>Per definition</h2>
<table id="definitions-table">
<thead><tr><th>Group</th><th>Severity</th><th>Definition</th><th>Follows</th>
<th>Not following</th><th>Example ids</th><th>Trend vs previous run</th><th>Status</th></tr></thead>
<tbody>
{definition_rows}
</tbody></table>
</body></html>
"""


def validate_missing(database: Path, definitions: Definitions, checked: RunResult | None,
                     gx_project_dir: Path | None) -> tuple[RunResult, int]:
    """Return the outcomes of every suite - those in `checked` as they are, the others
    validated now - and how many suites were reused.

    `checked` holds what the checks of the same run already found (expectations/results.py):
    validating those suites again would pay for every validation twice. Outcomes of suites
    the definitions no longer generate are dropped."""
    if checked is not None and checked.suite_names \
            and checked.definitions_fingerprint == definitions.fingerprint:
        # The checks' run listed every suite of these definitions: no need to build them (nor
        # to import GX) unless one is missing.
        names = list(checked.suite_names)
    else:
        names = [spec.name for spec in suite_specs(definitions)]
    reused = [outcome for outcome in (checked.outcomes if checked else [])
              if outcome.suite in names]
    covered = {outcome.suite for outcome in reused}
    missing = [name for name in names if name not in covered]
    if missing:
        # GX keeps its project in <root>/gx/: the reports folder is the root.
        run = run_suites(database, definitions, only=missing, gx_project_dir=gx_project_dir)
    else:
        run = RunResult(started_at="", database=str(database),
                        definitions_fingerprint=definitions.fingerprint, outcomes=[])
    if checked is not None and covered:
        run.started_at = min(filter(None, (run.started_at, checked.started_at)))
    # Suite order, as one full validation gives it, whichever suites were reused.
    run.outcomes = sorted(reused + run.outcomes, key=lambda outcome: names.index(outcome.suite))
    run.suite_names = names
    return run, len(covered)


def write_report(database: Path, reports_dir: Path, definitions: Definitions | None = None,
                 data_docs: bool = True, checked: RunResult | None = None) -> Report:
    """Write the summary (HTML + Markdown) and Data Docs, extend the history, and return what
    was written.

    Suites whose outcomes are in `checked` (the same run's checks) are not validated again;
    the others are validated against `database` now. Data Docs cover only the suites
    validated here: GX renders them from its own results, which the checks do not keep."""
    definitions = definitions or load()
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    report_run, reused = validate_missing(database, definitions, checked,
                                          reports_dir if data_docs else None)
    gx_dir = reports_dir / GX_DIR if data_docs and reused < len(report_run.suite_names) \
        else None
    report_run.outcomes.sort(key=lambda outcome: GROUPS.index(outcome.group))
    history_path = reports_dir / HISTORY_FILE
    history = _read_history(history_path)
    previous = history[-1] if history else None
    gaps = group_gaps(report_run.outcomes)

    docs_index = None
    if gx_dir is not None:
        candidates = sorted(gx_dir.rglob("data_docs/local_site/index.html"))
        docs_index = candidates[0] if candidates else None
    link = docs_index.relative_to(reports_dir).as_posix() if docs_index else None

    html_path = reports_dir / HTML_FILE
    markdown_path = reports_dir / MARKDOWN_FILE
    html_path.write_text(render_html(report_run, gaps, previous, link), encoding="utf-8")
    markdown_path.write_text(render_markdown(report_run, gaps, previous), encoding="utf-8")

    history.append({
        "started_at": report_run.started_at,
        "definitions_fingerprint": report_run.definitions_fingerprint,
        "counts": {outcome.name: outcome.unexpected_count for outcome in report_run.outcomes},
        "gaps": {gap.group: gap.gap for gap in gaps},
    })
    history_path.write_text(json.dumps(history[-HISTORY_LENGTH:], indent=1), encoding="utf-8")
    return Report(report_run, gaps, previous, html_path, markdown_path, docs_index, reused)
