-- Identity resolution: every lead and contact record gets the person it belongs to.
-- Rule: a lead converted to a live contact belongs to that contact's person; every other
-- record is keyed by its normalised email (salted hash), or by its own id when it has none.
-- Records sharing a key are one person. The survivor, whose id becomes person_id, is the
-- earliest-created contact of the key, else its earliest-created lead (ties by id).
--
-- Incremental (6-7 s of a 1M-lead daily run as a table): a run recomputes, whole, the match
-- keys of the records int_person_records_unioned recomputed since (macro
-- person_records_rekeyed_since_last_run). Equal to a full rebuild: tests/test_incremental_marts.py.
{{ config(
    materialized=incremental_materialization(),
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ incremental_stage_changed_keys(person_records_rekeyed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('record_id') }}",
    ],
    post_hook="{{ incremental_drop_changed_keys() }}",
) }}

with

records as (

    select * from {{ ref('int_person_records_unioned') }}

),

{{ person_records_keyed_ctes('records') }},

-- The records of the keys this run recomputes: every record of a key (its survivor and
-- counts need them all).
records_in_scope as (

    select * from records_keyed
    {%- if is_incremental() %}
    where match_key in (select match_key from {{ changed_keys_relation() }})
    {%- endif %}

),

-- The duplicate-lead test of the audit: a lead whose address an earlier lead had.
first_leads_by_email as (

    select
        email_hash,
        min(created_at) as first_lead_with_email_created_at
    from records
    where record_type = 'lead'
        and email_hash is not null
    group by email_hash

),

records_ranked as (

    select
        records_in_scope.*,
        row_number() over (
            partition by records_in_scope.match_key
            order by
                case when records_in_scope.record_type = 'contact' then 0 else 1 end,
                records_in_scope.created_at,
                records_in_scope.record_id
        ) as survivor_rank,
        count(*) over (partition by records_in_scope.match_key) as person_record_count,
        first_leads_by_email.first_lead_with_email_created_at
    from records_in_scope
    left join first_leads_by_email
        on records_in_scope.email_hash = first_leads_by_email.email_hash

),

survivors as (

    select
        match_key,
        record_id as person_id,
        record_type as person_type
    from records_ranked
    where survivor_rank = 1

),

final as (

    select
        records_ranked.record_id,
        records_ranked.record_type,
        survivors.person_id,
        survivors.person_type,
        records_ranked.survivor_rank = 1 as is_survivor,
        case
            when records_ranked.survivor_rank = 1 then 'survivor'
            when records_ranked.is_converted_to_live_contact then 'converted_to_contact'
            when records_ranked.email_hash is not null then 'same_email'
        end as merge_reason,
        records_ranked.person_record_count,
        coalesce(
            records_ranked.record_type = 'lead'
            and records_ranked.email_hash is not null
            and records_ranked.created_at > records_ranked.first_lead_with_email_created_at,
            false
        ) as is_duplicate_lead,
        records_ranked.lead_id,
        records_ranked.contact_id,
        records_ranked.converted_contact_id,
        records_ranked.converted_opportunity_id,
        records_ranked.account_id,
        records_ranked.account_match,
        records_ranked.email_hash,
        records_ranked.email_domain,
        records_ranked.title,
        records_ranked.company_name,
        records_ranked.country,
        records_ranked.lead_source,
        records_ranked.lead_status,
        records_ranked.rejection_reason,
        records_ranked.owner_user_id,
        records_ranked.employee_count,
        records_ranked.segment_code,
        records_ranked.icp_version,
        records_ranked.is_icp_title_fit,
        records_ranked.has_email,
        records_ranked.has_phone,
        records_ranked.has_company,
        records_ranked.has_title,
        records_ranked.is_converted,
        records_ranked.converted_date,
        records_ranked.created_at,
        records_ranked.match_key,
        {{ run_stamp() }} as recomputed_at
    from records_ranked
    inner join survivors
        on records_ranked.match_key = survivors.match_key

)

select * from final
