"""The definitions document (`revops definitions`) and the loader it is built from."""

import re
import shutil
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from revops import cli
from revops.definitions import DBT_PROJECT_FILE, SEED_NAMES, Definitions, load
from revops.definitions_doc import lead_examples, render_html, render_markdown, write_documents
from revops.paths import DEFINITIONS_DIR

# Elements HTML defines without an end tag.
VOID_ELEMENTS = {"meta", "link", "br", "hr", "img", "input", "col", "source", "wbr"}


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return load()


@pytest.fixture(scope="module")
def documents(definitions: Definitions) -> dict[str, str]:
    return {"markdown": render_markdown(definitions), "html": render_html(definitions)}


def copy_of_the_definitions(tmp_path: Path) -> tuple[Path, Path]:
    """Copy seeds/definitions and dbt_project.yml into tmp_path; return (seeds dir, project file)."""
    seeds = tmp_path / "seeds" / "definitions"
    shutil.copytree(DEFINITIONS_DIR, seeds)
    project = tmp_path / "dbt_project.yml"
    shutil.copy(DBT_PROJECT_FILE, project)
    return seeds, project


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


class WellFormedHtml(HTMLParser):
    """Collects nesting errors: every element closed, in order, nothing left open."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            self.errors.append(f"end tag for void element <{tag}>")
        elif not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
        else:
            self.open.pop()


# ---------------------------------------------------------------------------- loader


def test_python_has_a_loader_for_every_definitions_seed(definitions: Definitions) -> None:
    on_disk = {path.stem for path in DEFINITIONS_DIR.glob("*.csv")}
    assert set(SEED_NAMES) == on_disk
    loaded = {
        "def_activity_types": definitions.activity_types,
        "def_allowed_stage_skips": definitions.allowed_stage_skips,
        "def_attribution_presets": definitions.attribution_presets,
        "def_channel_mapping": definitions.channel_mappings,
        "def_currency_rates": definitions.currency_rates,
        "def_handoff_sla": definitions.handoff_sla,
        "def_icp_rules": [icp.rules for icp in definitions.icp_versions if icp.rules],
        "def_icp_versions": definitions.icp_versions,
        "def_lead_sources": definitions.lead_source_details,
        "def_lead_statuses": definitions.lead_status_stage,
        "def_lifecycle_stages": definitions.stages,
        "def_mql_criteria": definitions.mql_criteria,
        "def_rejection_reasons": definitions.rejection_taxonomy,
        "def_routing_rules": definitions.routing_rules,
        "def_segments": definitions.segments,
        "def_sql_criteria": definitions.sql_criteria,
    }
    assert set(loaded) == set(SEED_NAMES)
    assert [name for name, rows in loaded.items() if not rows] == []


def test_single_number_definitions_are_read_from_dbt_project_yml(tmp_path: Path) -> None:
    seeds, project = copy_of_the_definitions(tmp_path)
    replace_once(
        project, "where_did_that_lead_go_per_week: 2 ", "where_did_that_lead_go_per_week: 7 "
    )
    replace_once(project, "reporting_currency: USD", "reporting_currency: EUR")
    settings = load(seeds, project).settings
    assert settings.leading_indicators.where_did_that_lead_go_per_week == 7
    assert settings.reporting_currency == "EUR"
    # The technical var is not a definition: it stays out of the signed page.
    assert "passthrough_columns" not in settings.raw


def test_rejection_reasons_carry_their_names_and_definitions(definitions: Definitions) -> None:
    by_code = {reason.code: reason for reason in definitions.rejection_taxonomy}
    assert by_code["bad_fit"].name == "Bad fit"
    assert "outside the ICP" in by_code["bad_fit"].definition
    assert definitions.rejection_reasons == tuple(by_code)


def test_the_icp_version_in_force_is_judged_by_date(definitions: Definitions) -> None:
    before = definitions.icp_on("smb", date(2025, 6, 30))
    after = definitions.icp_on("smb", date(2025, 7, 1))
    assert (before.version, after.version) == ("2024.1", "2025.3")
    assert "Media" not in before.values("industry")
    assert "Media" in after.values("industry")


def test_the_exchange_rate_is_the_rate_of_the_month_of_the_date(definitions: Definitions) -> None:
    # def_currency_rates: EUR 2025-03-01 1.081 and 2025-04-01 1.123.
    assert definitions.exchange_rate("EUR", date(2025, 3, 31)) == Decimal("1.081")
    assert definitions.exchange_rate("EUR", date(2025, 4, 1)) == Decimal("1.123")
    assert definitions.exchange_rate("USD", date(2025, 4, 1)) == Decimal(1)
    with pytest.raises(LookupError, match="no rate for EUR in 2031-01"):
        definitions.exchange_rate("EUR", date(2031, 1, 15))


def test_a_malformed_seed_value_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    seeds, project = copy_of_the_definitions(tmp_path)
    replace_once(
        seeds / "def_mql_criteria.csv",
        "smb,2025.4,2025-10-01,,65,",
        "smb,2025.4,2025-10-01,,sixty,",
    )
    with pytest.raises(ValueError, match=r"def_mql_criteria\.csv, line 5, field 'min_score'"):
        load(seeds, project)


# ---------------------------------------------------------------------------- document


@pytest.mark.parametrize("kind", ["markdown", "html"])
def test_the_document_shows_every_segment_stage_and_rejection_code(
    definitions: Definitions, documents: dict[str, str], kind: str
) -> None:
    text = documents[kind]
    expected = [
        *(segment.code for segment in definitions.segments),
        *(segment.name for segment in definitions.segments),
        *(stage.code for stage in definitions.stages),
        *(stage.name for stage in definitions.stages),
        *(reason.code for reason in definitions.rejection_taxonomy),
        *(reason.name for reason in definitions.rejection_taxonomy),
        *(rule.rule for rule in definitions.routing_rules),
        *definitions.lead_sources,
        *(preset.model for preset in definitions.attribution_presets),
        *(mapping.channel for mapping in definitions.channel_mappings),
    ]
    missing = [value for value in expected if value not in text]
    assert missing == []


@pytest.mark.parametrize("kind", ["markdown", "html"])
def test_the_document_shows_every_version_with_its_effective_dates(
    definitions: Definitions, documents: dict[str, str], kind: str
) -> None:
    text = documents[kind]
    separator = " | " if kind == "markdown" else "</td><td>"
    versioned = [
        *definitions.icp_versions,
        *definitions.mql_criteria,
        *definitions.sql_criteria,
        *definitions.handoff_sla,
    ]
    for row in versioned:
        end = row.effective_to.isoformat() if row.effective_to else "open (in force)"
        cells = separator.join([row.segment_code, row.version, row.effective_from.isoformat(), end])
        assert cells in text, f"{type(row).__name__} {row.segment_code} {row.version}"


def test_the_document_is_versioned_by_the_fingerprint_and_has_both_signature_lines(
    definitions: Definitions, documents: dict[str, str]
) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", definitions.fingerprint)
    for text in documents.values():
        assert definitions.fingerprint in text
        assert "Marketing" in text and "Sales" in text
    assert documents["markdown"].count("Signature: ____") == 2
    assert documents["html"].count('class="signature" data-team=') == 2


def test_every_segment_has_a_qualifying_and_a_disqualifying_example(
    definitions: Definitions,
) -> None:
    examples = lead_examples(definitions)
    for segment in definitions.segments:
        own = [example for example in examples if example.segment_code == segment.code]
        criteria = max(
            (row for row in definitions.mql_criteria if row.segment_code == segment.code),
            key=lambda row: row.effective_from,
        )
        qualifying = [example for example in own if example.verdict == "qualifies as MQL"]
        failing = [example for example in own if example.verdict == "does not qualify"]
        assert qualifying and failing, segment.code
        assert all(
            example.score >= criteria.min_score and example.has_product_action
            for example in qualifying
        )
        assert all(
            example.score < criteria.min_score or not example.has_product_action
            for example in failing
        )


def test_changing_a_threshold_in_a_copy_of_the_seeds_changes_the_document(
    tmp_path: Path, definitions: Definitions, documents: dict[str, str]
) -> None:
    seeds, project = copy_of_the_definitions(tmp_path)
    replace_once(
        seeds / "def_mql_criteria.csv", "smb,2025.4,2025-10-01,,65,", "smb,2025.4,2025-10-01,,55,"
    )
    changed = load(seeds, project)
    markdown = render_markdown(changed)

    assert changed.fingerprint != definitions.fingerprint
    assert markdown != documents["markdown"]
    assert "| smb | 2025.4 | 2025-10-01 | open (in force) | 55 |" in markdown
    assert "score 55 reaches the minimum of 55" in markdown
    assert "score 65 reaches the minimum of 65" not in markdown


def test_changing_a_var_changes_the_document_version(
    tmp_path: Path, definitions: Definitions
) -> None:
    seeds, project = copy_of_the_definitions(tmp_path)
    replace_once(project, "lookback_days: 180", "lookback_days: 90")
    changed = load(seeds, project)
    assert changed.fingerprint != definitions.fingerprint
    assert "| attribution.lookback_days | 90 |" in render_markdown(changed)


def test_a_comment_in_dbt_project_yml_does_not_change_the_version(
    tmp_path: Path, definitions: Definitions
) -> None:
    seeds, project = copy_of_the_definitions(tmp_path)
    replace_once(project, "reporting_currency: USD", "reporting_currency: USD  # unchanged")
    assert load(seeds, project).fingerprint == definitions.fingerprint


def test_the_html_is_well_formed_and_self_contained(documents: dict[str, str]) -> None:
    parser = WellFormedHtml()
    parser.feed(documents["html"])
    parser.close()
    assert parser.errors == []
    assert parser.open == []
    assert [parser.tags.count(tag) for tag in ("html", "head", "body", "title")] == [1, 1, 1, 1]
    assert parser.tags.count("table") >= 10
    # Self-contained: no scripts, stylesheets or images fetched from elsewhere.
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert "http://" not in documents["html"] and "https://" not in documents["html"]


def test_the_same_definitions_give_byte_identical_documents(definitions: Definitions) -> None:
    assert render_html(definitions) == render_html(load())
    assert render_markdown(definitions) == render_markdown(load())


def test_revops_definitions_writes_both_documents_into_out(tmp_path: Path) -> None:
    assert cli.main(["definitions", "--out", str(tmp_path / "reports")]) == 0
    written = sorted(path.name for path in (tmp_path / "reports").iterdir())
    assert written == ["definitions.html", "definitions.md"]
    assert write_documents(tmp_path / "again") == [
        tmp_path / "again" / "definitions.md",
        tmp_path / "again" / "definitions.html",
    ]


def test_technical_vars_stay_out_of_the_document_and_its_version(
    tmp_path: Path, definitions: Definitions, documents: dict[str, str]
) -> None:
    # The personal-data salt must never be printed; custom-field pass-through is plumbing.
    for text in documents.values():
        assert "pii_salt" not in text and "passthrough_columns" not in text
    seeds, project = copy_of_the_definitions(tmp_path)
    replace_once(project, "crm_contact: [preferred_language_c]", "crm_contact: []")
    assert load(seeds, project).fingerprint == definitions.fingerprint
