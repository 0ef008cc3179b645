"""The synthetic data generator: deterministic, complete, bounded, and honest about deviations.

The key test recomputes every deviation count of the manifest with DuckDB SQL written from
the predicates in docs/demo-data.md, over the files as written (headers normalised the way
ingestion does it, with dlt's snake_case convention) - not from the generator's own code.
"""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import duckdb
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention

from revops.contract import OBJECTS
from revops.generate import generate, vocab
from revops.generate.core import run
from revops.generate.deviations import DEFINITIONS, KINDS
from revops.generate.layout import LAYOUTS
from revops.paths import DEFINITIONS_DIR

NAMING = NamingConvention()
CONNECTOR_EXTRAS = {"_fivetran_synced", "preferred_language_c"}


@pytest.fixture(scope="module")
def deviant(tmp_path_factory) -> tuple[Path, dict]:
    """3,000 leads with deviations, in chunks of 1,000 so every object spans three files."""
    landing = tmp_path_factory.mktemp("deviant")
    return landing, run(landing, leads=3000, seed=7, deviations=True, chunk_leads=1000)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("clean")
    return landing, generate(landing, leads=3000, seed=7, deviations=False)


def _files(landing: Path, system: str, folder: str) -> list[Path]:
    return sorted(path for path in (landing / system / folder).iterdir() if path.is_file())


def _reader(landing: Path, system: str, folder: str) -> str:
    """A DuckDB table function over an object's files, every CSV value read as text."""
    files = _files(landing, system, folder)
    paths = ", ".join(f"'{path}'" for path in files)
    if files[0].suffix == ".parquet":
        return f"read_parquet([{paths}])"
    return f"read_csv([{paths}], header = true, all_varchar = true)"


def _headers(connection: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [row[0] for row in connection.execute(f"describe select * from {source}").fetchall()]


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str):
    return connection.execute(sql).fetchone()[0]


def _recompute_deviations(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {kind: _scalar(connection, sql) for kind, sql in DEVIATION_SQL.items()}


def _connect(landing: Path) -> duckdb.DuckDBPyConnection:
    """Views named after the raw tables, with columns renamed as ingestion renames them."""
    connection = duckdb.connect()
    for spec in OBJECTS:
        source = _reader(landing, spec.system, spec.folder)
        headers = _headers(connection, source)
        columns = ", ".join(f'"{header}" as {NAMING.normalize_identifier(header)}'
                            for header in headers)
        connection.execute(f"create view {spec.table} as select {columns} from {source}")
    for seed in ("def_segments", "def_mql_criteria", "def_handoff_sla", "def_activity_types",
                 "def_rejection_reasons"):
        connection.execute(f"create view {seed} as select * from read_csv("
                           f"'{DEFINITIONS_DIR / seed}.csv', header = true, all_varchar = true)")
    # Both timestamp styles: 2024-01-22T20:36:47.000+0000 and 2024-01-22 20:36:47.
    connection.execute("create macro ts(value) as "
                       "strptime(replace(left(value, 19), 'T', ' '), '%Y-%m-%d %H:%M:%S')")
    return connection


# Each predicate of docs/demo-data.md as SQL over the raw tables.
_MQL_EVENTS = """
    with live_leads as (
        select id, cast(number_of_employees as bigint) as employees
        from crm_lead where is_deleted = 'false'
    ),
    lead_segments as (
        select live_leads.id as lead_id, def_segments.segment_code
        from live_leads
        join def_segments
            on live_leads.employees >= cast(def_segments.min_employees as bigint)
            and (def_segments.max_employees is null
                 or live_leads.employees <= cast(def_segments.max_employees as bigint))
    ),
    mql_events as (
        select crm_lead_history.lead_id, ts(crm_lead_history.created_date) as event_at,
            lead_segments.segment_code
        from crm_lead_history
        join lead_segments on lead_segments.lead_id = crm_lead_history.lead_id
        where crm_lead_history.field = 'Status'
            and crm_lead_history.new_value = 'Marketing Qualified'
            and crm_lead_history.is_deleted = 'false'
    )
"""

DEVIATION_SQL = {
    "mql_criteria_not_met": _MQL_EVENTS + """,
    scores as (
        select crm_lead_id, changed_at, score_after from map_score_change
        where crm_lead_id is not null
    ),
    first_qualifying as (
        select map_activity.crm_lead_id, min(map_activity.activity_at) as first_at
        from map_activity
        join def_activity_types on def_activity_types.activity_type = map_activity.activity_type
        where def_activity_types.is_qualifying_action = 'true'
        group by map_activity.crm_lead_id
    ),
    judged as (
        select mql_events.event_at,
            coalesce(scores.score_after, 0) as score,
            cast(def_mql_criteria.min_score as bigint) as min_score,
            def_mql_criteria.requires_qualifying_action = 'true' as needs_action,
            first_qualifying.first_at
        from mql_events
        join def_mql_criteria
            on def_mql_criteria.segment_code = mql_events.segment_code
            and cast(def_mql_criteria.effective_from as date) <= cast(mql_events.event_at as date)
            and (def_mql_criteria.effective_to is null
                 or cast(mql_events.event_at as date) < cast(def_mql_criteria.effective_to as date))
        asof left join scores
            on scores.crm_lead_id = mql_events.lead_id and mql_events.event_at >= scores.changed_at
        left join first_qualifying on first_qualifying.crm_lead_id = mql_events.lead_id
    )
    select count(*) from judged
    where score < min_score
        or (needs_action and (first_at is null or first_at > event_at))
    """,
    "mql_not_touched_within_sla": _MQL_EVENTS + """,
    touches as (
        select who_id, ts(completed_date_time) as touched_at from crm_task
        where type in ('Call', 'Email') and is_deleted = 'false'
    ),
    judged as (
        select mql_events.event_at, touches.touched_at,
            cast(def_handoff_sla.hours_to_first_touch as double) as sla_hours
        from mql_events
        join def_handoff_sla
            on def_handoff_sla.segment_code = mql_events.segment_code
            and cast(def_handoff_sla.effective_from as date) <= cast(mql_events.event_at as date)
            and (def_handoff_sla.effective_to is null
                 or cast(mql_events.event_at as date) < cast(def_handoff_sla.effective_to as date))
        asof left join touches
            on touches.who_id = mql_events.lead_id and touches.touched_at >= mql_events.event_at
    )
    select count(*) from judged
    where touched_at is null
        or touched_at > event_at + to_seconds(cast(round(sla_hours * 3600) as bigint))
    """,
    "rejection_without_reason": """
    select count(*) from crm_lead
    where is_deleted = 'false' and status = 'Rejected'
        and (rejection_reason_c is null or rejection_reason_c = '')
    """,
    "rejection_reason_outside_taxonomy": """
    select count(*) from crm_lead
    where is_deleted = 'false' and status = 'Rejected' and rejection_reason_c <> ''
        and rejection_reason_c not in (select reason_code from def_rejection_reasons)
    """,
    "lead_without_owner": """
    select count(*) from crm_lead
    where is_deleted = 'false' and (owner_id is null or owner_id = '')
    """,
    "stage_timestamps_out_of_order": """
    with firsts as (
        select lead_id,
            min(ts(created_date)) filter (where new_value = 'Sales Accepted') as first_sal,
            min(ts(created_date)) filter (where new_value = 'Marketing Qualified') as first_mql
        from crm_lead_history
        where field = 'Status' and is_deleted = 'false'
        group by lead_id
    )
    select count(*) from firsts
    join crm_lead on crm_lead.id = firsts.lead_id and crm_lead.is_deleted = 'false'
    where firsts.first_sal < firsts.first_mql
    """,
    "opportunity_without_primary_contact": """
    select count(*) from crm_opportunity
    where is_deleted = 'false'
        and not exists (
            select 1 from crm_opportunity_contact_role
            where crm_opportunity_contact_role.opportunity_id = crm_opportunity.id
                and crm_opportunity_contact_role.is_deleted = 'false'
                and crm_opportunity_contact_role.is_primary = 'true'
        )
    """,
    "duplicate_leads": """
    with live as (
        select lower(trim(email)) as email_key, ts(created_date) as created_at
        from crm_lead
        where is_deleted = 'false' and email is not null and trim(email) <> ''
    ),
    ranked as (
        select created_at, min(created_at) over (partition by email_key) as first_created_at
        from live
    )
    select count(*) from ranked where created_at > first_created_at
    """,
}


def _hashes(landing: Path) -> dict[str, str]:
    return {str(path.relative_to(landing)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(landing.rglob("*")) if path.is_file()}


def test_every_kind_of_deviation_has_an_sql_check_here():
    assert set(DEVIATION_SQL) == set(KINDS)


def test_same_seed_gives_byte_identical_files(tmp_path):
    """Also across processes with different string hashing (no set order leaks into files)."""
    first = generate(tmp_path / "first", leads=1500, seed=11)
    script = ("import sys; from pathlib import Path; from revops.generate import generate; "
              "generate(Path(sys.argv[1]), leads=1500, seed=11)")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "second")], check=True,
                   cwd=Path(__file__).resolve().parent.parent,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    second = json.loads((tmp_path / "second" / "_manifest.json").read_text())
    assert first == second
    hashes = _hashes(tmp_path / "first")
    assert len(hashes) == len(OBJECTS) + 1  # one file per object, plus the manifest
    assert hashes == _hashes(tmp_path / "second")


def test_a_different_seed_gives_different_records(tmp_path):
    generate(tmp_path / "a", leads=1000, seed=1)
    generate(tmp_path / "b", leads=1000, seed=2)
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert a["crm/Lead/Lead_000.csv"] != b["crm/Lead/Lead_000.csv"]
    assert a["map/activities/activities_000.parquet"] != b["map/activities/activities_000.parquet"]


def test_gzip_files_carry_no_name_or_time(deviant):
    landing, _ = deviant
    for path in _files(landing, "crm", "Contact"):
        header = path.read_bytes()[:10]
        assert header[3] == 0, f"{path}: gzip flags set (a file name is embedded)"
        assert header[4:8] == b"\0\0\0\0", f"{path}: gzip mtime is not 0"
        assert gzip.decompress(path.read_bytes()).startswith(b"id,account_id,")


def test_every_object_gets_files_in_its_contract_folder_in_its_format(deviant):
    landing, _ = deviant
    for spec in OBJECTS:
        files = _files(landing, spec.system, spec.folder)
        assert files, f"no files for {spec.landing_path}"
        layout = LAYOUTS[spec.folder]
        for path in files:
            assert path.name.endswith("." + layout.file_format), path
    assert [path.name for path in _files(landing, "crm", "Lead")] == [
        "Lead_000.csv", "Lead_001.csv", "Lead_002.csv"]
    assert [path.name for path in _files(landing, "crm", "Task")] == [
        "Task_000.csv.gz", "Task_001.csv.gz", "Task_002.csv.gz"]


def test_every_emitted_header_normalises_to_a_contract_column(deviant):
    landing, _ = deviant
    connection = duckdb.connect()
    for spec in OBJECTS:
        for path in _files(landing, spec.system, spec.folder):
            source = (f"read_parquet('{path}')" if path.suffix == ".parquet"
                      else f"read_csv('{path}', header = true, all_varchar = true)")
            normalised = [NAMING.normalize_identifier(header)
                          for header in _headers(connection, source)]
            unknown = set(normalised) - set(spec.columns) - CONNECTOR_EXTRAS
            assert not unknown, f"{path}: headers {unknown} map to no contract column"
            missing = set(spec.columns) - set(normalised)
            assert not missing, f"{path}: contract columns {missing} missing"
            assert len(set(normalised)) == len(normalised), f"{path}: two headers collide"


def test_salesforce_exports_use_api_names_and_connector_exports_snake_case():
    for folder in ("Account", "Lead", "LeadHistory", "Opportunity", "OpportunityHistory",
                   "User", "Campaign"):
        layout = LAYOUTS[folder]
        assert layout.style == "salesforce" and layout.file_format == "csv"
        assert "Id" in layout.headers and "SystemModstamp" in layout.headers
        for header, column in zip(layout.headers, layout.columns, strict=True):
            assert NAMING.normalize_identifier(header) == column, (folder, header)
    for folder in ("Contact", "Task", "CampaignMember", "OpportunityContactRole"):
        layout = LAYOUTS[folder]
        assert layout.style == "connector" and layout.file_format == "csv.gz"
        assert layout.headers[-1] == "_fivetran_synced"
    assert "preferred_language_c" in LAYOUTS["Contact"].headers
    assert {"MQL_Date__c", "Rejection_Reason__c"} <= set(LAYOUTS["Lead"].headers)
    assert "ABM_Target__c" in LAYOUTS["Account"].headers


def test_values_cast_to_their_contract_types(deviant):
    landing, _ = deviant
    connection = _connect(landing)
    for spec in OBJECTS:
        for column, kind in spec.columns.items():
            if kind == "text":
                continue
            if kind == "timestamp":
                check = f"try(ts({column})) is null or length({column}) not in (19, 28)"
                if spec.system == "map":
                    continue  # Parquet carries the type itself
            elif kind == "boolean":
                check = f"{column} not in ('true', 'false')"
            elif kind == "date":
                check = f"try_cast({column} as date) is null or length({column}) <> 10"
            else:
                check = f"try_cast({column} as {kind}) is null"
            bad = _scalar(connection, f"select count(*) from {spec.table} "
                                      f"where {column} is not null and ({check})")
            assert bad == 0, f"{spec.table}.{column}: {bad} values are not {kind}"
    map_types = dict(connection.execute("select column_name, column_type from "
                                        "(describe select * from map_activity)").fetchall())
    assert map_types["activity_at"] == "TIMESTAMP"


def test_salesforce_and_connector_timestamps_have_their_own_styles(deviant):
    landing, _ = deviant
    connection = _connect(landing)
    lead_created = _scalar(connection, "select created_date from crm_lead limit 1")
    task_created = _scalar(connection, "select created_date from crm_task limit 1")
    assert lead_created[10] == "T" and lead_created.endswith(".000+0000")
    assert task_created[10] == " " and len(task_created) == 19


def test_manifest_row_counts_equal_the_rows_in_the_files(deviant):
    landing, manifest = deviant
    connection = _connect(landing)
    assert set(manifest["row_counts"]) == {spec.table for spec in OBJECTS}
    for table, expected in manifest["row_counts"].items():
        actual = _scalar(connection, f"select count(*) from {table}")
        assert actual == expected, f"{table}: manifest {expected}, files {actual}"
    assert json.loads((landing / "_manifest.json").read_text()) == manifest


def test_manifest_deviation_counts_match_an_independent_sql_evaluation(deviant):
    landing, manifest = deviant
    recomputed = _recompute_deviations(_connect(landing))
    assert recomputed == manifest["deviations"]
    assert all(count > 0 for count in recomputed.values()), recomputed


def test_without_deviations_the_files_hold_none(clean):
    landing, manifest = clean
    assert manifest["deviations_enabled"] is False
    assert manifest["deviations"] == dict.fromkeys(KINDS, 0)
    assert _recompute_deviations(_connect(landing)) == dict.fromkeys(KINDS, 0)


def test_every_deviation_kind_occurs_at_1000_leads(tmp_path):
    manifest = generate(tmp_path, leads=1000, seed=42)
    assert all(count >= 1 for count in manifest["deviations"].values()), manifest["deviations"]
    assert set(manifest["definitions"]) == set(KINDS)


def test_lead_count_is_honoured_exactly_and_volumes_grow_linearly(tmp_path):
    small = generate(tmp_path / "small", leads=1000, seed=3)["row_counts"]
    large = generate(tmp_path / "large", leads=4000, seed=3)["row_counts"]
    assert small["crm_lead"] == 1000 and large["crm_lead"] == 4000
    assert small["crm_account"] == 125 and large["crm_account"] == 500
    for table in ("crm_lead_history", "crm_task", "crm_contact", "crm_opportunity",
                  "crm_campaign_member", "map_activity", "map_score_change"):
        assert 3.0 < large[table] / small[table] < 5.3, (table, small[table], large[table])


def test_memory_stays_bounded_as_leads_grow(tmp_path):
    """Ten times the leads must not take anywhere near ten times the memory."""
    peaks = {}
    for leads in (1_500, 15_000):
        tracemalloc.start()
        generate(tmp_path / str(leads), leads=leads, seed=5)
        peaks[leads] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[15_000] < 3 * peaks[1_500], peaks


def test_regenerating_removes_only_earlier_generated_files(tmp_path):
    run(tmp_path, leads=2500, seed=1, deviations=True, chunk_leads=1000)
    assert len(_files(tmp_path, "crm", "Lead")) == 3
    keep_note = tmp_path / "crm" / "Lead" / "README.txt"
    keep_note.write_text("not an export")
    keep_other = tmp_path / "crm" / "Quote" / "Quote_000.csv"
    keep_other.parent.mkdir(parents=True)
    keep_other.write_text("Id\n1\n")
    generate(tmp_path, leads=1000, seed=1)
    assert [path.name for path in _files(tmp_path, "crm", "Lead")] == ["Lead_000.csv",
                                                                      "README.txt"]
    assert keep_other.exists()
    assert json.loads((tmp_path / "_manifest.json").read_text())["leads"] == 1000


def test_progress_is_reported_once_per_chunk(tmp_path):
    messages: list[str] = []
    run(tmp_path, leads=2500, seed=1, deviations=True, chunk_leads=1000,
        progress=messages.append)
    assert messages[:3] == [message for message in messages if message.startswith("generated")]
    assert messages[0].startswith("generated 1,000/2,500 leads")
    assert messages[2].startswith("generated 2,500/2,500 leads")


def test_lead_counts_outside_the_supported_range_are_refused(tmp_path):
    with pytest.raises(ValueError, match="leads must be between"):
        generate(tmp_path, leads=99)


def test_events_stay_inside_the_fixed_window(deviant):
    landing, manifest = deviant
    assert manifest["window"] == {"start": "2024-10-01T00:00:00Z", "end": "2026-09-30T23:59:59Z"}
    connection = _connect(landing)
    checks = {
        "crm_lead": "ts(created_date)", "crm_lead_history": "ts(created_date)",
        "crm_task": "ts(completed_date_time)", "crm_opportunity_history": "ts(created_date)",
        "map_activity": "activity_at", "map_score_change": "changed_at",
    }
    for table, expression in checks.items():
        earliest, latest = connection.execute(
            f"select min({expression}), max({expression}) from {table}").fetchone()
        assert str(earliest) >= "2024-10-01 00:00:00", (table, earliest)
        assert str(latest) <= "2026-09-30 23:59:59", (table, latest)


def test_natural_emails_cannot_collide():
    domains = {
        f"{prefix}{root}{kind}".lower()
        for prefix in vocab.COMPANY_PREFIXES for root in vocab.COMPANY_ROOTS
        for kind in vocab.COMPANY_KINDS
    }
    assert len(domains) == (len(vocab.COMPANY_PREFIXES) * len(vocab.COMPANY_ROOTS)
                            * len(vocab.COMPANY_KINDS))
    assert len(domains) >= 2_000_000 // 8  # one domain per account of the largest run


def test_score_is_the_running_sum_of_activity_points(clean):
    landing, _ = clean
    connection = _connect(landing)
    broken = _scalar(connection, """
        with ordered as (
            select crm_lead_id, changed_at, score_before, score_after,
                lag(score_after, 1, 0) over (partition by crm_lead_id order by changed_at) as prior
            from map_score_change where crm_lead_id is not null
        )
        select count(*) from ordered where score_before <> prior or score_after <= score_before
    """)
    assert broken == 0
    mismatched = _scalar(connection, """
        select count(*) from map_score_change
        join def_activity_types on def_activity_types.activity_type = map_score_change.change_reason
        where score_after - score_before <> cast(def_activity_types.score_points as bigint)
    """)
    assert mismatched == 0


def test_mql_criteria_follow_the_version_in_force(tmp_path):
    """SMB needed 60 points before 2025-10-01 and 65 after: clean MQLs show both."""
    generate(tmp_path, leads=6000, seed=9, deviations=False)
    connection = _connect(tmp_path)
    rows = dict(connection.execute("""
        with events as (
            select crm_lead_history.lead_id, ts(crm_lead_history.created_date) as event_at
            from crm_lead_history
            join crm_lead on crm_lead.id = crm_lead_history.lead_id
            where crm_lead_history.new_value = 'Marketing Qualified'
                and cast(crm_lead.number_of_employees as bigint) < 200
        ),
        scored as (
            select events.event_at >= timestamp '2025-10-01' as is_new_version,
                map_score_change.score_after
            from events
            asof join map_score_change
                on map_score_change.crm_lead_id = events.lead_id
                and events.event_at >= map_score_change.changed_at
        )
        select is_new_version, min(score_after) from scored group by is_new_version
    """).fetchall())
    assert 60 <= rows[False] < 65
    assert rows[True] >= 65


def test_funnel_shows_the_patterns_later_analysis_depends_on(deviant):
    landing, manifest = deviant
    connection = _connect(landing)

    acceptance = [rate for (rate,) in connection.execute("""
        select avg(case when crm_lead_history.new_value = 'Sales Accepted' then 1 else 0 end)
        from crm_lead_history
        join crm_user on crm_user.id = crm_lead_history.created_by_id
        where crm_lead_history.old_value = 'Marketing Qualified'
            and crm_lead_history.new_value in ('Sales Accepted', 'Rejected')
            and crm_user.department = 'SDR - SMB'
        group by crm_user.id having count(*) >= 30
    """).fetchall()]
    assert max(acceptance) > 0.6 and min(acceptance) < 0.4, acceptance

    segments = dict(connection.execute("""
        select case when cast(number_of_employees as bigint) < 200 then 'smb'
                    when cast(number_of_employees as bigint) < 1000 then 'mid_market'
                    else 'enterprise' end, count(*)
        from crm_account group by all
    """).fetchall())
    assert segments["smb"] > segments["mid_market"] > segments["enterprise"] > 0
    abm_share = _scalar(
        connection, "select avg(case when abm_target_c = 'true' then 1 else 0 end) from crm_account"
    )
    assert 0.005 < abm_share < 0.08

    sdrs = _scalar(connection, "select count(*) from crm_user where title = "
                               "'Sales Development Representative'")
    assert sdrs >= 6
    inactive_owned = _scalar(connection, """
        select count(*) from crm_lead join crm_user on crm_user.id = crm_lead.owner_id
        where crm_user.is_active = 'false'
    """)
    assert inactive_owned > 0

    # def_routing_rules: enterprise and mid-market MQLs go to the SDR of the lead's country
    # (no enterprise SDR leaves, so each country has exactly one enterprise SDR).
    split_territories = _scalar(connection, """
        select count(*) from (
            select crm_lead.country from crm_lead_history
            join crm_lead on crm_lead.id = crm_lead_history.lead_id
            join crm_user on crm_user.id = crm_lead_history.new_value
            where crm_lead_history.field = 'Owner' and crm_user.department = 'SDR - Enterprise'
            group by crm_lead.country having count(distinct crm_user.id) > 1
        )
    """)
    assert split_territories == 0

    currencies = dict(connection.execute(
        "select currency_iso_code, count(*) from crm_opportunity group by all").fetchall())
    assert currencies["USD"] > currencies["EUR"] > 0 and currencies["GBP"] > 0
    open_deals = _scalar(connection,
                         "select count(*) from crm_opportunity where is_closed = 'false'")
    assert open_deals > 0
    boomerangs = _scalar(connection, """
        select count(*) from crm_lead_history
        where old_value = 'Recycled' and new_value = 'Marketing Qualified'
    """)
    assert boomerangs > 0

    mql_events = _scalar(
        connection,
        "select count(*) from crm_lead_history where new_value = 'Marketing Qualified'")
    sla_miss_share = manifest["deviations"]["mql_not_touched_within_sla"] / mql_events
    assert 0.10 <= sla_miss_share <= 0.25

    converted = _scalar(connection, """
        select count(*) from crm_lead
        where is_converted = 'true' and converted_contact_id is not null
            and converted_opportunity_id is not null and converted_account_id is not null
    """)
    assert converted == _scalar(
        connection, "select count(*) from crm_lead where status = 'Converted'") > 0
    deleted = _scalar(connection, "select count(*) from crm_lead where is_deleted = 'true'")
    assert deleted > 0
    programs_linked = _scalar(connection, """
        select count(*) from map_program
        where crm_campaign_id not in (select id from crm_campaign)
    """)
    assert programs_linked == 0


# (child table, column, parent table, parent key): every non-empty reference must resolve.
REFERENCES = (
    ("crm_account", "owner_id", "crm_user", "id"),
    ("crm_user", "manager_id", "crm_user", "id"),
    ("crm_lead", "owner_id", "crm_user", "id"),
    ("crm_lead", "converted_account_id", "crm_account", "id"),
    ("crm_lead", "converted_contact_id", "crm_contact", "id"),
    ("crm_lead", "converted_opportunity_id", "crm_opportunity", "id"),
    ("crm_lead_history", "lead_id", "crm_lead", "id"),
    ("crm_lead_history", "created_by_id", "crm_user", "id"),
    ("crm_contact", "account_id", "crm_account", "id"),
    ("crm_contact", "owner_id", "crm_user", "id"),
    ("crm_opportunity", "account_id", "crm_account", "id"),
    ("crm_opportunity", "owner_id", "crm_user", "id"),
    ("crm_opportunity", "campaign_id", "crm_campaign", "id"),
    ("crm_opportunity_history", "opportunity_id", "crm_opportunity", "id"),
    ("crm_opportunity_history", "created_by_id", "crm_user", "id"),
    ("crm_opportunity_contact_role", "opportunity_id", "crm_opportunity", "id"),
    ("crm_opportunity_contact_role", "contact_id", "crm_contact", "id"),
    ("crm_task", "owner_id", "crm_user", "id"),
    ("crm_task", "what_id", "crm_opportunity", "id"),
    ("crm_campaign", "parent_id", "crm_campaign", "id"),
    ("crm_campaign_member", "campaign_id", "crm_campaign", "id"),
    ("crm_campaign_member", "lead_id", "crm_lead", "id"),
    ("crm_campaign_member", "contact_id", "crm_contact", "id"),
    ("map_program", "crm_campaign_id", "crm_campaign", "id"),
    ("map_activity", "program_id", "map_program", "program_id"),
    ("map_activity", "crm_lead_id", "crm_lead", "id"),
    ("map_activity", "crm_contact_id", "crm_contact", "id"),
    ("map_activity", "crm_account_id", "crm_account", "id"),
    ("map_score_change", "crm_lead_id", "crm_lead", "id"),
)


def test_every_reference_points_at_an_existing_record(deviant):
    landing, _ = deviant
    connection = _connect(landing)
    for child, column, parent, key in REFERENCES:
        dangling = _scalar(connection, f"""
            select count(*) from {child}
            where {column} is not null and {column} <> ''
                and {column} not in (select {key} from {parent})
        """)
        assert dangling == 0, f"{child}.{column}: {dangling} values missing from {parent}"
    orphan_tasks = _scalar(connection, """
        select count(*) from crm_task
        where who_id is not null
            and who_id not in (select id from crm_lead union all select id from crm_contact)
    """)
    assert orphan_tasks == 0
    for table in ("crm_lead", "crm_contact", "crm_opportunity", "crm_task", "map_activity"):
        key = "activity_id" if table == "map_activity" else "id"
        repeated = _scalar(connection, f"select count(*) - count(distinct {key}) from {table}")
        assert repeated == 0, f"{table}: {repeated} repeated ids"


def test_every_lead_is_a_map_person_with_one_to_forty_activities(deviant):
    landing, manifest = deviant
    connection = _connect(landing)
    fewest, most, people = connection.execute("""
        select min(activities), max(activities), count(*) from (
            select crm_lead_id, count(*) as activities from map_activity
            where crm_lead_id is not null group by crm_lead_id
        )
    """).fetchone()
    assert people == manifest["row_counts"]["crm_lead"]
    assert fewest >= 1 and most <= 40


def test_docs_state_every_predicate_exactly_as_the_manifest_does():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "demo-data.md").read_text()
    for kind, sentence in DEFINITIONS.items():
        assert f"**`{kind}`** — {sentence}" in docs, kind


def test_generated_titles_agree_with_the_icp_title_keywords():
    """ICP titles hold a title keyword of the current ICP version; the others hold none."""
    rules = duckdb.execute(
        f"select icp_version, lower(rule_value) from read_csv('{DEFINITIONS_DIR}/"
        "def_icp_rules.csv', header = true, all_varchar = true) where rule_type = 'title_keyword'"
    ).fetchall()
    latest = max(version for version, _ in rules)
    current = {keyword for version, keyword in rules if version == latest}
    every = {keyword for _, keyword in rules}
    for title in vocab.ICP_TITLES:
        assert any(keyword in title.lower() for keyword in current), title
    for title in (*vocab.NON_ICP_TITLES, vocab.STUDENT_TITLE):
        assert not any(keyword in title.lower() for keyword in every), title
