"""Read the shared definitions (the dbt seeds under seeds/definitions/ and the `vars: revops:`
block of dbt_project.yml) into Python.

The seeds and the vars are the single source: dbt loads the seeds as tables and reads the vars
with `var()`, and Python (the demo-data generator, the data-quality suites, the definitions
document) reads the same files here. No number is copied into Python.
"""

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from revops.paths import DEFINITIONS_DIR, PROJECT_DIR

DBT_PROJECT_FILE = PROJECT_DIR / "dbt_project.yml"

# Every seed of seeds/definitions/, each parsed by `load`. A test compares this list with the
# folder, so a new seed cannot be added without a loader (and a place in the document).
SEED_NAMES: tuple[str, ...] = (
    "def_activity_types",
    "def_allowed_stage_skips",
    "def_attribution_presets",
    "def_channel_mapping",
    "def_currency_rates",
    "def_handoff_sla",
    "def_icp_rules",
    "def_icp_versions",
    "def_lead_sources",
    "def_lead_statuses",
    "def_lifecycle_stages",
    "def_mql_criteria",
    "def_rejection_reasons",
    "def_routing_rules",
    "def_segments",
    "def_sql_criteria",
)

# Vars of the `revops:` block that configure the pipeline rather than define the business
# (custom CRM fields to carry through staging, the salt of the personal-data hashes, which
# must never be printed): not part of the signed definitions nor of their fingerprint.
TECHNICAL_VARS: frozenset[str] = frozenset({"passthrough_columns", "pii_salt"})

T = TypeVar("T")


def read_seed(name: str, definitions_dir: Path = DEFINITIONS_DIR) -> list[dict[str, str]]:
    """Return the rows of seeds/definitions/<name>.csv as dicts of strings."""
    path = definitions_dir / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"definitions seed {path} is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class _SeedRow:
    """One CSV row with its file and line, so a malformed value can be reported precisely."""

    path: Path
    line: int
    values: dict[str, str]

    def text(self, name: str, required: bool = True) -> str:
        """Return the trimmed value of column `name`; raises when required and blank."""
        if name not in self.values:
            raise ValueError(f"{self.path}: column {name!r} is missing (line {self.line})")
        value = (self.values[name] or "").strip()
        if required and not value:
            raise ValueError(f"{self.path}, line {self.line}, field {name!r}: value is blank")
        return value

    def parsed(self, name: str, parse: Callable[[str], T], required: bool = True) -> T | None:
        """Return column `name` parsed by `parse`; None when blank and not required."""
        value = self.text(name, required)
        if not value:
            return None
        try:
            return parse(value)
        except (ValueError, InvalidOperation) as error:
            raise ValueError(
                f"{self.path}, line {self.line}, field {name!r}: cannot read {value!r} "
                f"({error.__class__.__name__}: {error})"
            ) from error


def _seed_rows(name: str, definitions_dir: Path) -> Iterator[_SeedRow]:
    path = definitions_dir / f"{name}.csv"
    # Line 1 is the header, so the first record is line 2 (as an editor shows it).
    for line, values in enumerate(read_seed(name, definitions_dir), start=2):
        yield _SeedRow(path, line, values)


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError("expected true or false")
    return lowered == "true"


def _validity(row: _SeedRow, version_column: str) -> dict[str, Any]:
    """Return the fields every versioned definition (ICP, MQL and SQL criteria, handoff SLA)
    shares: the segment, the version label, and the half-open interval
    [effective_from, effective_to) in which the version is in force (open-ended when blank)."""
    return {
        "segment_code": row.text("segment_code"),
        "version": row.text(version_column),
        "effective_from": row.parsed("effective_from", date.fromisoformat),
        "effective_to": row.parsed("effective_to", date.fromisoformat, required=False),
    }


# ---------------------------------------------------------------------------- seed records


@dataclass(frozen=True)
class Segment:
    code: str
    min_employees: int
    max_employees: int | None
    name: str = ""
    definition: str = ""


@dataclass(frozen=True)
class IcpVersion:
    """One version of a segment's ideal customer profile with its rules (def_icp_versions +
    def_icp_rules): `rules` maps a rule type (industry, country, title_keyword) to its values."""

    segment_code: str
    version: str
    effective_from: date
    effective_to: date | None
    definition: str
    rules: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def values(self, rule_type: str) -> tuple[str, ...]:
        """Return the accepted values of one rule type; empty when the version has none."""
        return self.rules.get(rule_type, ())


@dataclass(frozen=True)
class LifecycleStage:
    code: str
    order: int
    name: str
    is_exit: bool
    definition: str


@dataclass(frozen=True)
class AllowedStageSkip:
    """A lifecycle stage a lead may reach from `from_stage` without the stages between."""

    from_stage: str
    to_stage: str
    definition: str


@dataclass(frozen=True)
class MqlCriteria:
    segment_code: str
    version: str
    effective_from: date
    effective_to: date | None
    min_score: int
    requires_qualifying_action: bool
    definition: str = ""


@dataclass(frozen=True)
class SqlCriteria:
    segment_code: str
    version: str
    effective_from: date
    effective_to: date | None
    requires_icp_title_fit: bool
    requires_account_link: bool
    definition: str = ""


@dataclass(frozen=True)
class HandoffSla:
    segment_code: str
    version: str
    effective_from: date
    effective_to: date | None
    hours_to_first_touch: float
    attempts_before_recycle: int
    required_fields: tuple[str, ...]
    definition: str = ""


@dataclass(frozen=True)
class RoutingRule:
    segment_code: str  # a segment code, or `abm` for named accounts
    rule: str
    definition: str


@dataclass(frozen=True)
class CurrencyRate:
    currency_iso_code: str
    rate_month: date  # first day of the month the rate applies to
    rate_to_usd: Decimal


@dataclass(frozen=True)
class RejectionReason:
    code: str
    name: str
    definition: str


@dataclass(frozen=True)
class LeadSource:
    lead_source: str
    source_type: str
    sourced_by: str


@dataclass(frozen=True)
class ActivityType:
    activity_type: str
    category: str
    is_qualifying_action: bool
    counts_as_touch: bool
    score_points: int
    definition: str


@dataclass(frozen=True)
class AttributionPreset:
    """One attribution model: how credit is split over a journey's touches. Position models
    give fixed shares to the milestone touches and spread `middle_weight` over the rest."""

    model: str
    weighting_method: str
    journey_end: str
    first_touch_weight: float
    lead_creation_weight: float
    opportunity_creation_weight: float
    closed_won_weight: float
    middle_weight: float
    vendor_reference: str
    definition: str


@dataclass(frozen=True)
class ChannelMapping:
    """UTM source x medium -> marketing channel; `*` matches any value."""

    utm_source: str
    utm_medium: str
    channel: str
    channel_group: str
    definition: str


# ---------------------------------------------------------------------------- vars


@dataclass(frozen=True)
class AbmActivation:
    min_engaged_people: int
    min_touches: int
    window_days: int


@dataclass(frozen=True)
class Attribution:
    model_in_force: str
    lookback_days: int
    time_decay_half_life_days: int


@dataclass(frozen=True)
class LeadingIndicators:
    where_did_that_lead_go_per_week: int
    unknown_rejection_reason_share: float
    mql_to_sal_healthy_rate: float
    sla_compliance_target: float


@dataclass(frozen=True)
class Settings:
    """The single-number definitions of dbt_project.yml's `vars: revops:` block.

    `raw` holds every definition var as read (technical vars excluded), so a var added to the
    YAML still reaches the document and the fingerprint before it gets a typed field here.
    """

    reporting_currency: str
    abm_activation: AbmActivation
    attribution: Attribution
    leading_indicators: LeadingIndicators
    raw: dict[str, Any]


def read_project_vars(dbt_project_file: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    """Return the `vars: revops:` block of dbt_project.yml as parsed YAML."""
    if not dbt_project_file.exists():
        raise FileNotFoundError(f"dbt project file {dbt_project_file} is missing")
    project = yaml.safe_load(dbt_project_file.read_text(encoding="utf-8")) or {}
    block = (project.get("vars") or {}).get("revops")
    if not isinstance(block, dict):
        raise TypeError(f"{dbt_project_file}: `vars: revops:` is missing or not a mapping")
    return block


def _settings(block: dict[str, Any], source: Path) -> Settings:
    def number(path: str, kind: Callable[[Any], T]) -> T:
        value: Any = block
        for key in path.split("."):
            if not isinstance(value, dict) or key not in value:
                raise ValueError(f"{source}: var revops.{path} is missing")
            value = value[key]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(f"{source}: var revops.{path} must be a single value, got {value!r}")
        try:
            return kind(value)
        except ValueError as error:
            raise ValueError(f"{source}: var revops.{path}: cannot read {value!r}") from error

    return Settings(
        reporting_currency=number("reporting_currency", str),
        abm_activation=AbmActivation(
            min_engaged_people=number("abm_activation.min_engaged_people", int),
            min_touches=number("abm_activation.min_touches", int),
            window_days=number("abm_activation.window_days", int),
        ),
        attribution=Attribution(
            model_in_force=number("attribution.model_in_force", str),
            lookback_days=number("attribution.lookback_days", int),
            time_decay_half_life_days=number("attribution.time_decay_half_life_days", int),
        ),
        leading_indicators=LeadingIndicators(
            where_did_that_lead_go_per_week=number(
                "leading_indicators.where_did_that_lead_go_per_week", int),
            unknown_rejection_reason_share=number(
                "leading_indicators.unknown_rejection_reason_share", float),
            mql_to_sal_healthy_rate=number("leading_indicators.mql_to_sal_healthy_rate", float),
            sla_compliance_target=number("leading_indicators.sla_compliance_target", float),
        ),
        raw={key: value for key, value in block.items() if key not in TECHNICAL_VARS},
    )


# ---------------------------------------------------------------------------- definitions


def _in_force(rows, segment_code: str, on: date):
    matches = [
        row for row in rows
        if row.segment_code == segment_code
        and row.effective_from <= on
        and (row.effective_to is None or on < row.effective_to)
    ]
    if len(matches) != 1:
        raise LookupError(
            f"expected exactly one definition for segment {segment_code!r} in force on {on}, "
            f"found {len(matches)}"
        )
    return matches[0]


@dataclass(frozen=True)
class Definitions:
    segments: tuple[Segment, ...]
    mql_criteria: tuple[MqlCriteria, ...]
    handoff_sla: tuple[HandoffSla, ...]
    qualifying_actions: frozenset[str]
    activity_score_points: dict[str, int]
    rejection_reasons: tuple[str, ...]  # reason codes; names and definitions in rejection_taxonomy
    lead_status_stage: dict[str, str]
    lead_sources: dict[str, str]  # lead_source -> sourced_by
    icp_versions: tuple[IcpVersion, ...] = ()
    stages: tuple[LifecycleStage, ...] = ()
    routing_rules: tuple[RoutingRule, ...] = ()
    currency_rates: tuple[CurrencyRate, ...] = ()
    rejection_taxonomy: tuple[RejectionReason, ...] = ()
    lead_source_details: tuple[LeadSource, ...] = ()
    activity_types: tuple[ActivityType, ...] = ()
    attribution_presets: tuple[AttributionPreset, ...] = ()
    channel_mappings: tuple[ChannelMapping, ...] = ()
    allowed_stage_skips: tuple[AllowedStageSkip, ...] = ()
    sql_criteria: tuple[SqlCriteria, ...] = ()
    settings: Settings | None = None
    # sha256 over the seed files and the definition vars: the document version.
    fingerprint: str = ""
    source_files: tuple[Path, ...] = ()

    def segment_for(self, employees: int) -> str:
        """Return the segment code whose employee band holds `employees`."""
        for segment in self.segments:
            upper = segment.max_employees
            if employees >= segment.min_employees and (upper is None or employees <= upper):
                return segment.code
        raise LookupError(f"no segment covers {employees} employees")

    def mql_criteria_on(self, segment_code: str, on: date) -> MqlCriteria:
        """Return the MQL criteria version in force for a segment on a date."""
        return _in_force(self.mql_criteria, segment_code, on)

    def sql_criteria_on(self, segment_code: str, on: date) -> SqlCriteria:
        """Return the SQL criteria version in force for a segment on a date."""
        return _in_force(self.sql_criteria, segment_code, on)

    def sla_on(self, segment_code: str, on: date) -> HandoffSla:
        """Return the handoff SLA version in force for a segment on a date."""
        return _in_force(self.handoff_sla, segment_code, on)

    def icp_on(self, segment_code: str, on: date) -> IcpVersion:
        """Return the ICP version in force for a segment on a date."""
        return _in_force(self.icp_versions, segment_code, on)

    def rate_to_usd(self, currency_iso_code: str, on: date) -> Decimal:
        """Return the rate of the month holding `on` (the rule the marts apply: rate month =
        month of the opportunity's created date); raises naming the currency and the month."""
        month = on.replace(day=1)
        for rate in self.currency_rates:
            if rate.currency_iso_code == currency_iso_code and rate.rate_month == month:
                return rate.rate_to_usd
        raise LookupError(f"def_currency_rates has no rate for {currency_iso_code} in {month:%Y-%m}")

    def exchange_rate(self, currency_iso_code: str, on: date) -> Decimal:
        """Return how many units of the reporting currency one unit of `currency_iso_code` was
        worth in the month of `on`: its rate to USD over the reporting currency's."""
        reporting = self.settings.reporting_currency if self.settings else "USD"
        return self.rate_to_usd(currency_iso_code, on) / self.rate_to_usd(reporting, on)


def fingerprint_of(seed_files: list[Path], definition_vars: dict[str, Any]) -> str:
    """Return the sha256 (hex) of the seed files' bytes, in file-name order, and the definition
    vars as canonical JSON: it changes exactly when a definition does, whatever the layout of
    dbt_project.yml around the vars."""
    digest = hashlib.sha256()
    for path in sorted(seed_files, key=lambda seed: seed.name):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps(definition_vars, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def _icp_versions(definitions_dir: Path) -> tuple[IcpVersion, ...]:
    rules: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in _seed_rows("def_icp_rules", definitions_dir):
        key = (row.text("segment_code"), row.text("icp_version"))
        rules.setdefault(key, {}).setdefault(row.text("rule_type"), []).append(row.text("rule_value"))
    versions = []
    for row in _seed_rows("def_icp_versions", definitions_dir):
        validity = _validity(row, "icp_version")
        key = (validity["segment_code"], validity["version"])
        versions.append(IcpVersion(
            **validity,
            definition=row.text("definition"),
            rules={rule_type: tuple(values) for rule_type, values in rules.pop(key, {}).items()},
        ))
    if rules:
        orphans = ", ".join(f"{segment} {version}" for segment, version in sorted(rules))
        raise ValueError(
            f"{definitions_dir / 'def_icp_rules.csv'}: rules for ICP versions that "
            f"def_icp_versions.csv does not define: {orphans}"
        )
    return tuple(versions)


@cache
def _allowed_stage_skips(definitions_dir: Path, stages) -> tuple[AllowedStageSkip, ...]:
    """def_allowed_stage_skips, each pair checked: both stages exist, neither is an exit, and
    the second comes more than one step after the first (else nothing is skipped)."""
    order = {stage.code: stage.order for stage in stages if not stage.is_exit}
    skips = []
    for row in _seed_rows("def_allowed_stage_skips", definitions_dir):
        skip = AllowedStageSkip(row.text("from_stage"), row.text("to_stage"), row.text("definition"))
        for name in ("from_stage", "to_stage"):
            if getattr(skip, name) not in order:
                raise ValueError(
                    f"{row.path}, line {row.line}, field {name!r}: {getattr(skip, name)!r} is not "
                    f"a non-exit stage of def_lifecycle_stages ({', '.join(order)})"
                )
        if order[skip.to_stage] <= order[skip.from_stage] + 1:
            raise ValueError(
                f"{row.path}, line {row.line}: {skip.from_stage} -> {skip.to_stage} skips no stage"
            )
        skips.append(skip)
    return tuple(skips)


def load(definitions_dir: Path = DEFINITIONS_DIR,
         dbt_project_file: Path = DBT_PROJECT_FILE) -> Definitions:
    """Parse every definitions seed and the definition vars of dbt_project.yml.

    Raises naming the file, the line and the field when a value is malformed. Pass a copy of
    the seeds folder and of dbt_project.yml to read changed definitions (tests do).
    """
    definitions_dir = Path(definitions_dir)
    dbt_project_file = Path(dbt_project_file)
    segments = tuple(
        Segment(
            code=row.text("segment_code"),
            min_employees=row.parsed("min_employees", int),
            max_employees=row.parsed("max_employees", int, required=False),
            name=row.text("segment_name"),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_segments", definitions_dir)
    )
    criteria = tuple(
        MqlCriteria(
            **_validity(row, "criteria_version"),
            min_score=row.parsed("min_score", int),
            requires_qualifying_action=row.parsed("requires_qualifying_action", _boolean),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_mql_criteria", definitions_dir)
    )
    sql_criteria = tuple(
        SqlCriteria(
            **_validity(row, "criteria_version"),
            requires_icp_title_fit=row.parsed("requires_icp_title_fit", _boolean),
            requires_account_link=row.parsed("requires_account_link", _boolean),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_sql_criteria", definitions_dir)
    )
    slas = tuple(
        HandoffSla(
            **_validity(row, "sla_version"),
            hours_to_first_touch=row.parsed("hours_to_first_touch", float),
            attempts_before_recycle=row.parsed("attempts_before_recycle", int),
            required_fields=tuple(
                name.strip() for name in row.text("required_fields", required=False).split(";")
                if name.strip()
            ),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_handoff_sla", definitions_dir)
    )
    activity_types = tuple(
        ActivityType(
            activity_type=row.text("activity_type"),
            category=row.text("activity_category"),
            is_qualifying_action=row.parsed("is_qualifying_action", _boolean),
            counts_as_touch=row.parsed("counts_as_touch", _boolean),
            score_points=row.parsed("score_points", int),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_activity_types", definitions_dir)
    )
    taxonomy = tuple(
        RejectionReason(row.text("reason_code"), row.text("reason_name"), row.text("definition"))
        for row in _seed_rows("def_rejection_reasons", definitions_dir)
    )
    sources = tuple(
        LeadSource(row.text("lead_source"), row.text("source_type"), row.text("sourced_by"))
        for row in _seed_rows("def_lead_sources", definitions_dir)
    )
    stages = tuple(sorted(
        (
            LifecycleStage(
                code=row.text("stage_code"),
                order=row.parsed("stage_order", int),
                name=row.text("stage_name"),
                is_exit=row.parsed("is_exit", _boolean),
                definition=row.text("definition"),
            )
            for row in _seed_rows("def_lifecycle_stages", definitions_dir)
        ),
        key=lambda stage: stage.order,
    ))
    routing = tuple(
        RoutingRule(row.text("segment_code"), row.text("routing_rule"), row.text("definition"))
        for row in _seed_rows("def_routing_rules", definitions_dir)
    )
    rates = tuple(
        CurrencyRate(
            currency_iso_code=row.text("currency_iso_code"),
            rate_month=row.parsed("rate_month", date.fromisoformat),
            rate_to_usd=row.parsed("rate_to_usd", Decimal),
        )
        for row in _seed_rows("def_currency_rates", definitions_dir)
    )
    for rate in rates:
        if rate.rate_month.day != 1:
            raise ValueError(
                f"{definitions_dir / 'def_currency_rates.csv'}: rate_month {rate.rate_month} of "
                f"{rate.currency_iso_code} is not the first day of a month"
            )
    presets = tuple(
        AttributionPreset(
            model=row.text("attribution_model"),
            weighting_method=row.text("weighting_method"),
            journey_end=row.text("journey_end"),
            first_touch_weight=row.parsed("first_touch_weight", float),
            lead_creation_weight=row.parsed("lead_creation_weight", float),
            opportunity_creation_weight=row.parsed("opportunity_creation_weight", float),
            closed_won_weight=row.parsed("closed_won_weight", float),
            middle_weight=row.parsed("middle_weight", float),
            vendor_reference=row.text("vendor_reference", required=False),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_attribution_presets", definitions_dir)
    )
    channels = tuple(
        ChannelMapping(
            utm_source=row.text("utm_source"),
            utm_medium=row.text("utm_medium"),
            channel=row.text("channel"),
            channel_group=row.text("channel_group"),
            definition=row.text("definition"),
        )
        for row in _seed_rows("def_channel_mapping", definitions_dir)
    )
    skips = _allowed_stage_skips(definitions_dir, stages)
    block = read_project_vars(dbt_project_file)
    settings = _settings(block, dbt_project_file)
    seed_files = [definitions_dir / f"{name}.csv" for name in SEED_NAMES]
    return Definitions(
        segments=segments,
        mql_criteria=criteria,
        sql_criteria=sql_criteria,
        handoff_sla=slas,
        qualifying_actions=frozenset(
            activity.activity_type for activity in activity_types if activity.is_qualifying_action
        ),
        activity_score_points={
            activity.activity_type: activity.score_points for activity in activity_types
        },
        rejection_reasons=tuple(reason.code for reason in taxonomy),
        lead_status_stage={
            row.text("lead_status"): row.text("stage_code")
            for row in _seed_rows("def_lead_statuses", definitions_dir)
        },
        lead_sources={source.lead_source: source.sourced_by for source in sources},
        icp_versions=_icp_versions(definitions_dir),
        stages=stages,
        routing_rules=routing,
        currency_rates=rates,
        rejection_taxonomy=taxonomy,
        lead_source_details=sources,
        activity_types=activity_types,
        attribution_presets=presets,
        channel_mappings=channels,
        allowed_stage_skips=skips,
        settings=settings,
        fingerprint=fingerprint_of(seed_files, settings.raw),
        source_files=(*seed_files, dbt_project_file),
    )
