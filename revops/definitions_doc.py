"""The definitions document: the page Marketing and Sales both sign.

Built only from `revops.definitions.load()` (the dbt seeds and the vars of dbt_project.yml),
so the page and the warehouse can never disagree. Its version is the content fingerprint of
those files: a signature applies to exactly one set of definitions, and the page is
byte-identical for the same definitions (no generation timestamp on purpose).

    render_markdown(load())   -> str
    render_html(load())       -> str, one self-contained file (inline CSS, no scripts)
    write_documents(out_dir)  -> [out_dir/definitions.md, out_dir/definitions.html]
"""

import html
from dataclasses import dataclass
from pathlib import Path

from revops.definitions import (
    Definitions,
    IcpVersion,
    MqlCriteria,
    Segment,
    load,
)

TITLE = "Marketing and sales definitions"
SIGNING_TEAMS = ("Marketing", "Sales")
# Short form of the fingerprint shown in headings; the full sha256 is printed once.
SHORT_VERSION_LENGTH = 12

# What each single-number definition means, keyed by its path under `vars: revops:`.
# A var without an entry is still listed (with a pointer to dbt_project.yml), never dropped.
VAR_MEANINGS: dict[str, str] = {
    "reporting_currency": "Currency every pipeline amount is reported in.",
    "abm_activation.min_engaged_people": "A named account is active when at least this many different people engaged ...",
    "abm_activation.min_touches": "... making at least this many counted touches in total ...",
    "abm_activation.window_days": "... within this many days. Active accounts alert the AE.",
    "attribution.model_in_force": "Attribution model behind the marketing-sourced pipeline number.",
    "attribution.lookback_days": "Touches up to this many days before an opportunity was created can be credited "
    "(and make it marketing-influenced).",
    "attribution.time_decay_half_life_days": "Half-life of a touch's credit in the time-decay model.",
    "leading_indicators.where_did_that_lead_go_per_week": "Warning when more leads than this per week have no owner, no activity, or were lost "
    "between systems.",
    "leading_indicators.unknown_rejection_reason_share": "Warning when a larger share of rejected MQLs has no valid reason code.",
    "leading_indicators.mql_to_sal_healthy_rate": "Healthy when MQL-to-SAL acceptance is above this rate for two quarters in a row.",
    "leading_indicators.sla_compliance_target": "Target share of MQLs first touched within the handoff SLA.",
    "sales_touch_task_types": "CRM task types that count as a sales touch (first touch and follow-up attempts).",
}


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    blocks: tuple["str | Table", ...]  # paragraphs and tables, in reading order


# ---------------------------------------------------------------------------- helpers


def short_version(definitions: Definitions) -> str:
    """Return the fingerprint's first characters, as printed in headings and file footers."""
    return definitions.fingerprint[:SHORT_VERSION_LENGTH]


def _date(value) -> str:
    return value.isoformat() if value else "open (in force)"


def _number(value: float) -> str:
    return f"{value:g}"


def _band(segment: Segment) -> str:
    if segment.max_employees is None:
        return f"{segment.min_employees:,} or more"
    return f"{segment.min_employees:,} to {segment.max_employees:,}"


def _current(rows, segment_code: str):
    """The version of a segment that applies from now on: the one with the latest start."""
    candidates = [row for row in rows if row.segment_code == segment_code]
    return max(candidates, key=lambda row: row.effective_from) if candidates else None


def _flatten(values: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Return (dotted path, printable value) for every leaf of nested vars."""
    flat: list[tuple[str, str]] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.extend(_flatten(value, f"{path}."))
        elif isinstance(value, list | tuple):
            flat.append((path, ", ".join(str(item) for item in value)))
        else:
            flat.append((path, str(value)))
    return flat


# ---------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class LeadExample:
    segment_code: str
    criteria_version: str
    description: str
    activities: tuple[tuple[str, int], ...]  # (activity type, times)
    score: int
    has_product_action: bool
    verdict: str
    reason: str


def _fill(target: int, points: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Activities from `points` (largest first) whose points add up to at most `target`,
    exactly `target` whenever a 1-point activity exists."""
    chosen: list[tuple[str, int]] = []
    remaining = target
    for activity, value in sorted(points, key=lambda item: (-item[1], item[0])):
        if value <= 0:
            continue
        times = remaining // value
        if times:
            chosen.append((activity, times))
            remaining -= times * value
    return chosen


def _score(activities, definitions: Definitions) -> int:
    return sum(
        definitions.activity_score_points[activity] * times for activity, times in activities
    )


def lead_examples(definitions: Definitions) -> list[LeadExample]:
    """Return, per segment, leads that do and do not meet the MQL criteria now in force.

    Derived from the criteria and the activity points, so they move with every threshold:
    one lead exactly at the minimum score with a product action (qualifies), one point short
    (does not), one well above the score with no product action when one is required (does
    not), and one that qualifies on score but sits outside the segment's ICP (sales may reject
    it as a bad fit).
    """
    qualifying = sorted(
        (activity for activity in definitions.activity_types if activity.is_qualifying_action),
        key=lambda activity: (-activity.score_points, activity.activity_type),
    )
    others = [
        (activity.activity_type, activity.score_points)
        for activity in definitions.activity_types
        if not activity.is_qualifying_action and activity.score_points > 0
    ]
    all_industries = [
        industry for icp in definitions.icp_versions for industry in icp.values("industry")
    ]
    bad_fit = "bad_fit" if "bad_fit" in definitions.rejection_reasons else "a reason code"
    examples: list[LeadExample] = []
    for segment in definitions.segments:
        criteria: MqlCriteria | None = _current(definitions.mql_criteria, segment.code)
        if criteria is None:
            continue
        icp: IcpVersion | None = _current(definitions.icp_versions, segment.code)
        persona = _persona(segment, icp)
        action = [(qualifying[0].activity_type, 1)] if qualifying else []
        action_points = _score(action, definitions)

        def example(activities, description, verdict, reason, segment=segment, criteria=criteria):
            return LeadExample(
                segment_code=segment.code,
                criteria_version=criteria.version,
                description=description,
                activities=tuple(activities),
                score=_score(activities, definitions),
                has_product_action=any(
                    activity in definitions.qualifying_actions for activity, _ in activities
                ),
                verdict=verdict,
                reason=reason,
            )

        at_minimum = action + _fill(max(criteria.min_score - action_points, 0), others)
        score = _score(at_minimum, definitions)
        examples.append(
            example(
                at_minimum,
                persona,
                "qualifies as MQL",
                f"score {score} reaches the minimum of {criteria.min_score}"
                + (" and includes a product action" if criteria.requires_qualifying_action else ""),
            )
        )
        one_short = action + _fill(max(criteria.min_score - 1 - action_points, 0), others)
        examples.append(
            example(
                one_short,
                persona,
                "does not qualify",
                f"score {_score(one_short, definitions)} is below the minimum of "
                f"{criteria.min_score}",
            )
        )
        if criteria.requires_qualifying_action:
            no_action = _fill(criteria.min_score + 10, others)
            examples.append(
                example(
                    no_action,
                    persona,
                    "does not qualify",
                    f"score {_score(no_action, definitions)} is high enough but there is no product "
                    f"action ({', '.join(activity.activity_type for activity in qualifying)}); "
                    "engagement without a product action never qualifies",
                )
            )
        if icp is not None and icp.values("industry"):
            outside = sorted(set(all_industries) - set(icp.values("industry")))
            industry = outside[0] if outside else "an industry outside the ICP"
            examples.append(
                example(
                    at_minimum,
                    _persona(segment, icp, industry=industry),
                    "qualifies as MQL; expect rejection",
                    f"meets the MQL criteria, but {industry} is outside ICP {icp.version} of the "
                    f"segment: sales rejects it with {bad_fit}",
                )
            )
    return examples


def _persona(segment: Segment, icp: IcpVersion | None, industry: str | None = None) -> str:
    employees = (
        segment.min_employees * 2
        if segment.max_employees is None
        else (segment.min_employees + segment.max_employees) // 2
    )
    keyword = (icp.values("title_keyword") or ("marketing",))[0] if icp else "marketing"
    industry = industry or ((icp.values("industry") or ("Technology",))[0] if icp else "Technology")
    country = (icp.values("country") or ("United States",))[0] if icp else "United States"
    return (
        f"Head of {keyword.title()} at a {industry} company with {employees:,} employees "
        f"in {country}"
    )


def _activities_text(activities) -> str:
    if not activities:
        return "none"
    return ", ".join(
        activity if times == 1 else f"{activity} x{times}" for activity, times in activities
    )


# ---------------------------------------------------------------------------- sections


def build_sections(definitions: Definitions) -> list[Section]:
    """Return the document's sections in reading order; both renderers walk this list."""
    settings = definitions.settings
    reporting_currency = settings.reporting_currency if settings else "USD"
    sections: list[Section] = [
        Section(
            "version",
            "Document version",
            (
                (
                    f"Version (sha256 of the definitions seeds and the definition vars): "
                    f"{definitions.fingerprint}"
                ),
                "Generated from "
                + ", ".join(path.name for path in definitions.source_files[:-1])
                + " and the `vars: revops:` block of dbt_project.yml. dbt applies these same files "
                "to the warehouse and the data-quality checks measure the data against them. "
                "Any change to a definition changes the version above; a signature below applies "
                "to this version only.",
            ),
        ),
        Section(
            "segments",
            "Segments",
            (
                "Every account belongs to exactly one segment, by its employee count.",
                Table(
                    "Segments by employee count",
                    ("Segment", "Code", "Employees", "Definition"),
                    tuple(
                        (segment.name, segment.code, _band(segment), segment.definition)
                        for segment in definitions.segments
                    ),
                ),
            ),
        ),
    ]

    rule_types: list[str] = []
    for icp in definitions.icp_versions:
        rule_types.extend(rule for rule in icp.rules if rule not in rule_types)
    sections.append(
        Section(
            "icp",
            "Ideal customer profile (ICP) per segment",
            (
                (
                    "A record is judged by the ICP version in force on the record's date: from "
                    "effective_from (inclusive) to effective_to (exclusive); an open end means in force."
                ),
                Table(
                    "ICP versions and their rules",
                    (
                        "Segment",
                        "Version",
                        "Effective from",
                        "Effective to",
                        *(rule.replace("_", " ").capitalize() for rule in rule_types),
                        "Definition",
                    ),
                    tuple(
                        (
                            icp.segment_code,
                            icp.version,
                            icp.effective_from.isoformat(),
                            _date(icp.effective_to),
                            *("; ".join(icp.values(rule)) for rule in rule_types),
                            icp.definition,
                        )
                        for icp in definitions.icp_versions
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "stages",
            "Lifecycle stages",
            (
                (
                    "Stages run in this order; a stage may be skipped (a demo request can go straight to "
                    "SAL) but time never runs backwards. Exit stages end a journey; a recycled lead may "
                    "qualify again."
                ),
                Table(
                    "Lifecycle stages",
                    ("Order", "Stage", "Code", "Exit", "Definition"),
                    tuple(
                        (
                            str(stage.order),
                            stage.name,
                            stage.code,
                            "yes" if stage.is_exit else "no",
                            stage.definition,
                        )
                        for stage in definitions.stages
                    ),
                ),
                Table(
                    "CRM lead status to lifecycle stage",
                    ("Lead status (CRM)", "Stage code"),
                    tuple(
                        (status, stage) for status, stage in definitions.lead_status_stage.items()
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "mql",
            "MQL criteria per segment",
            (
                (
                    "A lead becomes an MQL when the criteria version of its segment in force at that "
                    "moment is met. The score adds up the points of the lead's activities."
                ),
                Table(
                    "MQL criteria versions",
                    (
                        "Segment",
                        "Version",
                        "Effective from",
                        "Effective to",
                        "Minimum score",
                        "Product action required",
                        "Definition",
                    ),
                    tuple(
                        (
                            criteria.segment_code,
                            criteria.version,
                            criteria.effective_from.isoformat(),
                            _date(criteria.effective_to),
                            str(criteria.min_score),
                            "yes" if criteria.requires_qualifying_action else "no",
                            criteria.definition,
                        )
                        for criteria in definitions.mql_criteria
                    ),
                ),
                Table(
                    "Activity types: score points, product actions and counted touches",
                    (
                        "Activity type",
                        "Category",
                        "Product action",
                        "Counts as touch",
                        "Points",
                        "Definition",
                    ),
                    tuple(
                        (
                            activity.activity_type,
                            activity.category,
                            "yes" if activity.is_qualifying_action else "no",
                            "yes" if activity.counts_as_touch else "no",
                            str(activity.score_points),
                            activity.definition,
                        )
                        for activity in definitions.activity_types
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "sql",
            "SQL criteria per segment",
            (
                (
                    "A lead that reaches SQL is judged by the criteria version of its segment in force "
                    "on that day: its title must fit the buyer persona (the title keywords) of the ICP "
                    "version in force on the same day, and, where required, the person must be linked "
                    "to an account."
                ),
                Table(
                    "SQL criteria versions",
                    (
                        "Segment",
                        "Version",
                        "Effective from",
                        "Effective to",
                        "ICP title fit required",
                        "Account link required",
                        "Definition",
                    ),
                    tuple(
                        (
                            criteria.segment_code,
                            criteria.version,
                            criteria.effective_from.isoformat(),
                            _date(criteria.effective_to),
                            "yes" if criteria.requires_icp_title_fit else "no",
                            "yes" if criteria.requires_account_link else "no",
                            criteria.definition,
                        )
                        for criteria in definitions.sql_criteria
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "examples",
            "Examples: leads that qualify and leads that do not",
            (
                (
                    "Worked from the criteria version now in force in each segment and the activity "
                    "points above; they change whenever a threshold does."
                ),
                Table(
                    "Qualifying and disqualifying leads per segment",
                    (
                        "Segment",
                        "Criteria version",
                        "Lead",
                        "Activities",
                        "Score",
                        "Verdict",
                        "Why",
                    ),
                    tuple(
                        (
                            example.segment_code,
                            example.criteria_version,
                            example.description,
                            _activities_text(example.activities),
                            str(example.score),
                            example.verdict,
                            example.reason,
                        )
                        for example in lead_examples(definitions)
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "sla",
            "Handoff SLA per segment",
            (
                "Hours run from the moment the lead became an MQL to sales' first contact.",
                Table(
                    "Handoff SLA versions",
                    (
                        "Segment",
                        "Version",
                        "Effective from",
                        "Effective to",
                        "Hours to first touch",
                        "Attempts before recycling",
                        "Fields required at handoff",
                        "Definition",
                    ),
                    tuple(
                        (
                            sla.segment_code,
                            sla.version,
                            sla.effective_from.isoformat(),
                            _date(sla.effective_to),
                            _number(sla.hours_to_first_touch),
                            str(sla.attempts_before_recycle),
                            ", ".join(sla.required_fields),
                            sla.definition,
                        )
                        for sla in definitions.handoff_sla
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "routing",
            "Lead routing",
            (
                Table(
                    "Routing rule per segment",
                    ("Segment", "Rule", "Definition"),
                    tuple(
                        (rule.segment_code, rule.rule, rule.definition)
                        for rule in definitions.routing_rules
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "rejections",
            "Rejection reasons",
            (
                (
                    "Every rejected MQL carries exactly one of these codes. A rejection without a valid "
                    "code is itself a defect."
                ),
                Table(
                    "Rejection-reason taxonomy",
                    ("Code", "Reason", "Definition"),
                    tuple(
                        (reason.code, reason.name, reason.definition)
                        for reason in definitions.rejection_taxonomy
                    ),
                ),
            ),
        )
    )

    sections.append(
        Section(
            "sources",
            "Lead sources and who sourced the pipeline",
            (
                (
                    "An opportunity's lead source decides whether marketing, sales or a partner sourced "
                    "it; an opportunity without a source counts as 'unknown'."
                ),
                Table(
                    "Lead sources",
                    ("Lead source", "Source type", "Sourced by"),
                    tuple(
                        (source.lead_source, source.source_type, source.sourced_by)
                        for source in definitions.lead_source_details
                    ),
                ),
            ),
        )
    )

    model_in_force = settings.attribution.model_in_force if settings else ""
    sections.append(
        Section(
            "attribution",
            "Attribution models and marketing channels",
            (
                (
                    f"The model in force for the marketing-sourced pipeline is {model_in_force} "
                    "(var attribution.model_in_force). Position models give fixed shares to the "
                    "milestone touches and spread the middle share over the other touches."
                ),
                Table(
                    "Attribution models",
                    (
                        "Model",
                        "In force",
                        "Weighting",
                        "Journey ends at",
                        "First touch",
                        "Lead creation",
                        "Opportunity creation",
                        "Closed won",
                        "Middle",
                        "Reference",
                        "Definition",
                    ),
                    tuple(
                        (
                            preset.model,
                            "yes" if preset.model == model_in_force else "no",
                            preset.weighting_method,
                            preset.journey_end,
                            *(
                                _number(weight)
                                for weight in (
                                    preset.first_touch_weight,
                                    preset.lead_creation_weight,
                                    preset.opportunity_creation_weight,
                                    preset.closed_won_weight,
                                    preset.middle_weight,
                                )
                            ),
                            preset.vendor_reference,
                            preset.definition,
                        )
                        for preset in definitions.attribution_presets
                    ),
                ),
                Table(
                    "Marketing channel by UTM source and medium (* matches any value)",
                    ("UTM source", "UTM medium", "Channel", "Channel group", "Definition"),
                    tuple(
                        (
                            mapping.utm_source,
                            mapping.utm_medium,
                            mapping.channel,
                            mapping.channel_group,
                            mapping.definition,
                        )
                        for mapping in definitions.channel_mappings
                    ),
                ),
            ),
        )
    )

    settings_rows = tuple(
        (path, value, VAR_MEANINGS.get(path, "See the comment beside it in dbt_project.yml."))
        for path, value in _flatten(settings.raw if settings else {})
    )
    sections.append(
        Section(
            "settings",
            "ABM activation, attribution and leading indicators",
            (
                "Single numbers, kept in the `vars: revops:` block of dbt_project.yml.",
                Table("Single-number definitions", ("Setting", "Value", "Meaning"), settings_rows),
            ),
        )
    )

    currencies = sorted({rate.currency_iso_code for rate in definitions.currency_rates})
    months = sorted({rate.rate_month for rate in definitions.currency_rates})
    by_key = {
        (rate.currency_iso_code, rate.rate_month): rate.rate_to_usd
        for rate in definitions.currency_rates
    }
    sections.append(
        Section(
            "currency",
            "Currency",
            (
                (
                    f"Pipeline is reported in {reporting_currency}. An amount is converted with the rate "
                    "of the month of the opportunity's created date: amount x rate_to_usd(currency, "
                    f"month) / rate_to_usd({reporting_currency}, month). The original amount and currency "
                    "are kept beside the converted amount."
                ),
                Table(
                    "Monthly rates to USD (first day of the month the rate applies to)",
                    ("Month", *currencies),
                    tuple(
                        (
                            month.strftime("%Y-%m"),
                            *(
                                str(by_key[(currency, month)])
                                if (currency, month) in by_key
                                else "missing"
                                for currency in currencies
                            ),
                        )
                        for month in months
                    ),
                ),
            ),
        )
    )
    return sections


# ---------------------------------------------------------------------------- renderers


def _md_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(definitions: Definitions) -> str:
    """Return the document as Markdown (GitHub tables), signature lines last."""
    lines = [
        f"# {TITLE}",
        "",
        (
            f"Version {short_version(definitions)}. Marketing and Sales agree to the definitions "
            "below; the warehouse applies exactly these."
        ),
        "",
    ]
    for section in build_sections(definitions):
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines += [
                    f"**{block.caption}**",
                    "",
                    "| " + " | ".join(_md_cell(header) for header in block.headers) + " |",
                    "|" + "|".join("---" for _ in block.headers) + "|",
                    *(
                        "| " + " | ".join(_md_cell(cell) for cell in row) + " |"
                        for row in block.rows
                    ),
                    "",
                ]
            else:
                lines += [block, ""]
    lines += ["## Signatures", "", f"Signed for document version {definitions.fingerprint}.", ""]
    for team in SIGNING_TEAMS:
        lines += [
            f"**{team}**",
            "",
            "Name: ______________________  Title: ______________________",
            "",
            "Date: ______________________  Signature: ______________________",
            "",
        ]
    return "\n".join(lines)


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433;
       max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; }
h2 { margin-top: 2.2rem; border-bottom: 2px solid #d8dde8; padding-bottom: 0.2rem; }
.version { color: #4a5468; font-size: 0.95rem; }
code { font-size: 0.85rem; background: #f1f3f8; padding: 0.1rem 0.3rem; border-radius: 3px;
       word-break: break-all; }
nav ol { columns: 2; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0 1.2rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #d8dde8; padding: 0.35rem 0.5rem; vertical-align: top;
         text-align: left; }
thead th { background: #eef1f7; }
tbody tr:nth-child(even) { background: #fafbfd; }
.signatures { display: flex; gap: 3rem; flex-wrap: wrap; margin-top: 1rem; }
.signature { flex: 1 1 20rem; }
.line { border-bottom: 1px solid #1d2433; height: 2.2rem; margin-bottom: 0.2rem; }
.label { font-size: 0.8rem; color: #4a5468; margin-bottom: 0.8rem; }
@media print { nav { display: none; } h2 { break-after: avoid; } table { break-inside: auto; } }
"""


def render_html(definitions: Definitions) -> str:
    """Return the document as one self-contained HTML page (inline CSS, no scripts, no links
    outside the page), so it can be mailed, printed and signed as it is."""
    escape = html.escape
    sections = build_sections(definitions)
    version = short_version(definitions)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="definitions-version" content="{escape(definitions.fingerprint)}">',
        f"<title>{escape(TITLE)} (version {escape(version)})</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(TITLE)}</h1>",
        (
            f'<p class="version">Version <code>{escape(version)}</code>. Marketing and Sales agree '
            "to the definitions below; the warehouse applies exactly these.</p>"
        ),
        "</header>",
        "<nav>",
        "<ol>",
        *(
            f'<li><a href="#{section.anchor}">{escape(section.title)}</a></li>'
            for section in sections
        ),
        '<li><a href="#signatures">Signatures</a></li>',
        "</ol>",
        "</nav>",
        "<main>",
    ]
    for section in sections:
        parts += [f'<section id="{section.anchor}">', f"<h2>{escape(section.title)}</h2>"]
        for block in section.blocks:
            if isinstance(block, Table):
                parts += [
                    "<table>",
                    f"<caption>{escape(block.caption)}</caption>",
                    "<thead>",
                    "<tr>"
                    + "".join(f'<th scope="col">{escape(header)}</th>' for header in block.headers)
                    + "</tr>",
                    "</thead>",
                    "<tbody>",
                    *(
                        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                        for row in block.rows
                    ),
                    "</tbody>",
                    "</table>",
                ]
            else:
                parts.append(f"<p>{escape(block)}</p>")
        parts.append("</section>")
    parts += [
        '<section id="signatures">',
        "<h2>Signatures</h2>",
        f"<p>Signed for document version <code>{escape(definitions.fingerprint)}</code>.</p>",
        '<div class="signatures">',
    ]
    for team in SIGNING_TEAMS:
        parts += [
            f'<div class="signature" data-team="{escape(team.lower())}">',
            f"<h3>{escape(team)}</h3>",
            *(
                f'<div class="line"></div><div class="label">{label}</div>'
                for label in ("Name", "Title", "Date", "Signature")
            ),
            "</div>",
        ]
    parts += ["</div>", "</section>", "</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def write_documents(out_dir: Path, definitions: Definitions | None = None) -> list[Path]:
    """Write definitions.md and definitions.html into `out_dir` (created when missing) and
    return their paths; `definitions` defaults to the project's seeds and vars."""
    definitions = definitions or load()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    documents = {
        out_dir / "definitions.md": render_markdown(definitions),
        out_dir / "definitions.html": render_html(definitions),
    }
    for path, text in documents.items():
        path.write_text(text, encoding="utf-8")
    return list(documents)
