"""The identity, lifecycle and handoff marts, built by dbt from generated demo data.

One module-wide build (~20 s): the generator writes 1,000 leads with its deliberate
deviations, the ingestion loads them into schema raw, and dbt builds the lifecycle marts with
everything upstream. The generator's manifest counts each deviation by evaluating its
predicate on the records it wrote, so the marts must reproduce every count exactly.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from revops.generate import generate
from revops.ingest import run_ingestion
from revops.paths import PROJECT_DIR

LIFECYCLE_MARTS = (
    "dim_accounts",
    "dim_people",
    "dim_users",
    "dim_campaigns",
    "fct_lifecycle_events",
    "fct_lead_lifecycle",
    "fct_handoffs",
    "fct_rejections",
)
# A salt of the test's own, so the hash check proves REVOPS_PII_SALT reaches the macro.
TEST_SALT = "lifecycle-test-salt"

# How each manifest deviation the lifecycle marts measure is counted in them.
DEVIATION_QUERIES = {
    "mql_criteria_not_met": "select count(*) from marts.fct_handoffs where not is_mql_criteria_met",
    "mql_not_touched_within_sla": "select count(*) from marts.fct_handoffs where not is_within_sla",
    "rejection_without_reason": "select count(*) from marts.fct_rejections where is_reason_missing",
    "rejection_reason_outside_taxonomy": (
        "select count(*) from marts.fct_rejections where not is_reason_valid and not is_reason_missing"
    ),
    "lead_without_owner": "select sum(ownerless_lead_count) from marts.dim_people",
    "duplicate_leads": "select sum(duplicate_lead_count) from marts.dim_people",
    "stage_timestamps_out_of_order": (
        "select sum(out_of_order_lead_count) from marts.fct_lead_lifecycle"
    ),
}


@dataclass(frozen=True)
class Build:
    result: dbtRunnerResult
    database: Path
    manifest: dict[str, Any]
    deviations: dict[str, int]


def query(database: Path, sql: str, *params: Any) -> list[tuple]:
    """Return the rows of a query (a plain connection: dbt-duckdb may still hold the file)."""
    with duckdb.connect(str(database)) as connection:
        return connection.execute(sql, list(params)).fetchall()


def scalar(database: Path, sql: str, *params: Any) -> Any:
    return query(database, sql, *params)[0][0]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    work_dir = tmp_path_factory.mktemp("lifecycle_marts")
    landing = work_dir / "landing"
    database = work_dir / "revops.duckdb"
    manifest = generate(landing, leads=1000, seed=7)
    run_ingestion(landing, database).raise_for_errors()
    selection = ["definitions", *(f"+{name}" for name in LIFECYCLE_MARTS)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVOPS_DUCKDB_PATH", str(database))
        patch.setenv("REVOPS_PII_SALT", TEST_SALT)
        result = dbtRunner().invoke(
            [
                "build",
                "--select",
                *selection,
                # Only tests whose every parent is built: the pipeline marts are another build's.
                "--indirect-selection",
                "cautious",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(work_dir / "target"),
                "--log-path",
                str(work_dir / "logs"),
                "--quiet",
            ]
        )
    dbt_manifest = json.loads((work_dir / "target" / "manifest.json").read_text())
    return Build(result, database, dbt_manifest, manifest["deviations"])


def lifecycle_nodes(build: Build) -> list[dict[str, Any]]:
    return [
        node
        for node in build.manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] in LIFECYCLE_MARTS
    ]


def test_the_marts_build_and_every_test_on_them_passes(build: Build) -> None:
    results = build.result.result.results
    not_passing = {
        result.node.name: f"{result.status}: {result.message}"
        for result in results
        if str(result.status) not in ("success", "pass")
    }
    assert build.result.success, not_passing
    built = {result.node.name for result in results if result.node.resource_type == "model"}
    assert set(LIFECYCLE_MARTS) <= built
    # Unit tests and data tests ran against the layers above staging, and none even warned;
    # staging's picklist tests warn by design about the planted off-taxonomy reasons.
    upstream = {
        unique_id
        for unique_id, node in build.manifest["nodes"].items()
        if unique_id.startswith("seed.") or node.get("fqn", [None, None])[1] == "staging"
    } | set(build.manifest["sources"])
    above_staging = {
        result.node.name: message
        for result in results
        if (message := not_passing.get(result.node.name))
        and not set(result.node.depends_on.nodes) <= upstream
    }
    assert not above_staging
    assert any(result.node.resource_type == "unit_test" for result in results)


@pytest.mark.parametrize("kind", sorted(DEVIATION_QUERIES))
def test_each_deviation_count_in_the_marts_equals_the_generators_manifest(
    build: Build, kind: str
) -> None:
    expected = build.deviations[kind]
    assert expected > 0, f"the generator planted no {kind}: the comparison would prove nothing"
    assert scalar(build.database, DEVIATION_QUERIES[kind]) == expected


def test_every_mql_event_is_one_handoff_one_mql_stage_entry_and_one_cycle(build: Build) -> None:
    handoffs = scalar(build.database, "select count(*) from marts.fct_handoffs")
    assert handoffs > 100
    assert (
        scalar(
            build.database,
            "select count(*) from marts.fct_lifecycle_events where stage_code = 'mql'",
        )
        == handoffs
    )
    assert (
        scalar(build.database, "select sum(mql_cycle_count) from marts.fct_lead_lifecycle")
        == handoffs
    )


def test_a_duplicate_lead_is_merged_into_one_person_and_keeps_its_history(build: Build) -> None:
    rows = query(
        build.database,
        """
        select person_id, merged_record_ids, merged_record_count, lead_record_count
        from marts.dim_people
        where duplicate_lead_count > 0
        order by person_id
    """,
    )
    assert rows
    for person_id, merged_ids, merged_count, lead_count in rows:
        assert lead_count >= 2
        assert len(merged_ids.split(", ")) == merged_count
        assert person_id not in merged_ids.split(", ")
    # Every record merged away still contributes its stage changes to the person.
    orphaned = scalar(
        build.database,
        """
        select count(*)
        from raw.crm_lead_history as history
        inner join raw.crm_lead as leads on history.lead_id = leads.id
        where history.field = 'Status'
            and not history.is_deleted
            and not leads.is_deleted
            and history.id not in (
                select source_record_id from marts.fct_lifecycle_events
                where event_source = 'crm_status_history'
            )
    """,
    )
    assert orphaned == 0


def test_people_are_fewer_than_records_but_every_record_has_one_person(build: Build) -> None:
    records = scalar(
        build.database,
        """
        select (select count(*) from raw.crm_lead where not is_deleted)
             + (select count(*) from raw.crm_contact where not is_deleted)
    """,
    )
    people, traced = query(
        build.database, "select count(*), sum(merged_record_count + 1) from marts.dim_people"
    )[0]
    assert people < records
    assert traced == records


def test_boomerangs_are_counted_as_new_mql_cycles_not_losses(build: Build) -> None:
    rows = query(
        build.database,
        """
        select mql_cycle_count, recycled_count, current_stage
        from marts.fct_lead_lifecycle
        where is_boomerang
    """,
    )
    assert rows, "the demo data holds recycled leads that qualify again"
    for mql_cycles, recycles, current_stage in rows:
        assert mql_cycles >= 1 and recycles >= 1
        assert current_stage != "lead"
    # Each boomerang's new MQL opens a cycle after the recycle: it is a stage entry of its own.
    boomerangs_with_a_later_cycle_mql = scalar(
        build.database,
        """
        select count(distinct events.person_id)
        from marts.fct_lifecycle_events as events
        inner join marts.fct_lead_lifecycle as lifecycle on events.person_id = lifecycle.person_id
        where lifecycle.is_boomerang and events.stage_code = 'mql' and events.cycle_number > 1
    """,
    )
    assert boomerangs_with_a_later_cycle_mql == len(rows)


def test_where_did_that_lead_go_flags_open_mqls_without_owner_or_touch(build: Build) -> None:
    rows = query(
        build.database,
        """
        select outcome, has_owner, has_touch, is_where_did_that_lead_go
        from marts.fct_handoffs
        where is_where_did_that_lead_go or not has_owner
    """,
    )
    assert any(not has_owner for _, has_owner, _, _ in rows)
    for outcome, has_owner, has_touch, flagged in rows:
        if flagged:
            assert outcome == "open"
        if outcome == "open" and not (has_owner and has_touch):
            assert flagged


def text_columns_of_marts(database: Path) -> list[tuple[str, str]]:
    return query(
        database,
        """
        select table_name, column_name
        from information_schema.columns
        where table_schema = 'marts' and data_type = 'VARCHAR'
        order by table_name, ordinal_position
    """,
    )


def test_no_mart_holds_an_email_address_or_phone_number_in_clear(build: Build) -> None:
    columns = text_columns_of_marts(build.database)
    assert columns
    with duckdb.connect(str(build.database)) as connection:
        connection.execute("""
            create temp table personal_values as
            select distinct lower(trim(email)) as value from raw.crm_lead where email is not null
            union select distinct lower(trim(email)) from raw.crm_contact where email is not null
            union select distinct trim(phone) from raw.crm_lead where phone is not null
            union select distinct trim(phone) from raw.crm_contact where phone is not null
        """)
        for table, column in columns:
            shaped = connection.execute(
                f"select count(*) from marts.{table} where {column} like '%_@_%._%'"
            ).fetchone()[0]
            assert shaped == 0, f"{table}.{column} holds email-shaped values"
            leaked = connection.execute(
                f"select count(*) from marts.{table} "
                f"where lower(trim({column})) in (select value from personal_values)"
            ).fetchone()[0]
            assert leaked == 0, f"{table}.{column} holds a raw email address or phone number"


def test_email_hash_is_the_salted_sha256_of_the_normalised_address(build: Build) -> None:
    lead_id, raw_email = query(
        build.database,
        """
        select id, email from raw.crm_lead
        where not is_deleted and email is not null and email != lower(trim(email))
        order by id limit 1
    """,
    )[0]
    expected = hashlib.sha256((TEST_SALT + raw_email.strip().lower()).encode("utf-8")).hexdigest()
    email_hash, domain = query(
        build.database,
        """
        select people.email_hash, people.email_domain
        from intermediate.int_person_records_resolved as records
        inner join marts.dim_people as people on records.person_id = people.person_id
        where records.record_id = ?
    """,
        lead_id,
    )[0]
    assert email_hash == expected
    assert domain == raw_email.strip().lower().split("@")[1]


def test_personal_data_columns_are_marked_in_the_yaml(build: Build) -> None:
    nodes = {node["name"]: node for node in lifecycle_nodes(build)}
    email_hash = nodes["dim_people"]["columns"]["email_hash"]
    assert email_hash["config"]["meta"]["pii"] is True
    assert email_hash["config"]["meta"]["pii_treatment"] == "salted_sha256"
    assert nodes["dim_people"]["columns"]["email_domain"]["config"]["meta"]["pii"] is False
    # Every lifecycle mart carries the generic test that scans it for addresses.
    tested = {
        node["attached_node"]
        for node in build.manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") == "no_email_shaped_values"
    }
    assert {node["unique_id"] for node in nodes.values()} <= tested


def test_every_lifecycle_mart_column_is_documented_and_every_documented_column_exists(
    build: Build,
) -> None:
    for node in lifecycle_nodes(build):
        built = [
            name
            for (name,) in query(
                build.database,
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                node["name"],
            )
        ]
        assert list(node["columns"]) == built, node["name"]
        assert node["description"].startswith("One row per"), node["name"]
        assert all(column["description"] for column in node["columns"].values()), node["name"]


def test_the_contract_columns_other_marts_code_against_exist(build: Build) -> None:
    contract = {
        "dim_people": "person_id person_type account_id email_hash email_domain segment_code "
        "lead_source owner_user_id merged_record_ids merged_record_count is_icp_title_fit",
        "fct_lead_lifecycle": "person_id account_id segment_code lead_source source_type "
        "sourced_by owner_user_id current_stage lead_created_at first_mql_at last_mql_at sal_at "
        "sql_at opportunity_at won_at lost_at rejected_at recycled_at days_lead_to_mql "
        "days_mql_to_sal days_sal_to_sql days_sql_to_opportunity days_opportunity_to_close "
        "is_mql_criteria_met mql_criteria_version rejection_reason_code "
        "is_rejection_reason_valid recycled_count mql_cycle_count is_boomerang opportunity_id",
        "fct_handoffs": "handoff_id person_id lead_id mql_at mql_cycle_number segment_code "
        "sla_version sla_hours attempts_before_recycle first_touch_at hours_to_first_touch "
        "attempt_count is_within_sla owner_user_id owner_team is_owner_active has_owner "
        "has_touch is_lost_between_systems is_where_did_that_lead_go has_required_fields "
        "missing_required_fields outcome is_abm_account is_routed_to_account_owner "
        "is_mql_criteria_met mql_criteria_version",
        "fct_rejections": "rejection_id person_id lead_id rejected_at rejection_reason "
        "rejection_reason_code is_reason_valid is_reason_missing sdr_user_id segment_code "
        "lead_source campaign_id",
        "fct_lifecycle_events": "lifecycle_event_id person_id stage_code stage_order "
        "entered_at event_source definition_version cycle_number",
        "dim_users": "user_id user_name title role team is_active manager_user_id",
        "dim_accounts": "account_id account_name segment_code icp_version is_icp_fit "
        "is_abm_target owner_user_id is_abm_active account_domain",
        "dim_campaigns": "campaign_id campaign_name campaign_type channel program_id",
    }
    for table, names in contract.items():
        built = {
            name
            for (name,) in query(
                build.database,
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?",
                table,
            )
        }
        missing = set(names.split()) - built
        assert not missing, (table, missing)


def test_the_lifecycle_sql_avoids_duckdb_only_syntax() -> None:
    # The marts must run on PostgreSQL too: no QUALIFY, no '::' casts, no list or struct types.
    paths = [
        *sorted((PROJECT_DIR / "models" / "intermediate" / "identity").glob("*.sql")),
        *sorted((PROJECT_DIR / "models" / "intermediate" / "lifecycle").glob("*.sql")),
        *(PROJECT_DIR / "models" / "marts" / f"{name}.sql" for name in LIFECYCLE_MARTS),
    ]
    assert len(paths) > len(LIFECYCLE_MARTS)
    forbidden = re.compile(r"\bqualify\b|::|\blist_|\bstruct_pack\b|\bunnest\b", re.IGNORECASE)
    offenders = [path.name for path in paths if forbidden.search(path.read_text())]
    assert not offenders
