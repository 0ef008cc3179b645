{#- Incremental (8-10 s of a 1M-lead daily run as a table): a run recomputes the people whose
    records int_person_records_resolved recomputed since, and drops the people no record
    survives as any more (macro people_changed_since_last_run). Equal to a full rebuild:
    tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='person_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ incremental_stage_changed_keys(people_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('person_id') }}",
    ],
    post_hook=[
        "{{ incremental_drop_changed_keys() }}",
        "{{ refresh_planner_statistics(this) }}",
    ],
) }}

-- One row per person: the leads and contacts identity resolution put together
-- (int_person_records_resolved). Identity comes from the survivor record (the contact when
-- there is one); where the person came from - segment, lead source - from their earliest
-- lead, whose journey the funnel follows. No email address in clear: a salted hash and the
-- domain.

with

person_records as (

    select * from {{ ref('int_person_records_resolved') }}
    {%- if is_incremental() %}
    where person_id in (select person_id from {{ changed_keys_relation() }})
    {%- endif %}

),

survivors as (

    select * from person_records
    where is_survivor

),

first_leads as (

    select *
    from (
        select
            person_records.*,
            row_number() over (
                partition by person_id
                order by created_at, record_id
            ) as lead_rank
        from person_records
        where record_type = 'lead'
    ) as ranked_leads
    where lead_rank = 1

),

first_contacts as (

    select *
    from (
        select
            person_records.*,
            row_number() over (
                partition by person_id
                order by created_at, record_id
            ) as contact_rank
        from person_records
        where record_type = 'contact'
    ) as ranked_contacts
    where contact_rank = 1

),

-- A survivor without owner takes the most recently created owned record's owner.
latest_owners as (

    select *
    from (
        select
            person_id,
            owner_user_id,
            row_number() over (
                partition by person_id
                order by created_at desc, record_id desc
            ) as owner_rank
        from person_records
        where owner_user_id is not null
    ) as ranked_owners
    where owner_rank = 1

),

person_rollups as (

    select
        person_id,
        min(created_at) as first_created_at,
        sum(case when record_type = 'lead' then 1 else 0 end) as lead_record_count,
        sum(case when record_type = 'contact' then 1 else 0 end) as contact_record_count,
        sum(case when is_duplicate_lead then 1 else 0 end) as duplicate_lead_count,
        sum(case when record_type = 'lead' and owner_user_id is null then 1 else 0 end)
            as ownerless_lead_count,
        sum(case when is_survivor then 0 else 1 end) as merged_record_count,
        {{ dbt.listagg(
            'case when not is_survivor then record_id end',
            "', '",
            'order by created_at, record_id'
        ) }} as merged_record_ids
    from person_records
    group by person_id

),

final as (

    select
        survivors.person_id,
        survivors.person_type,
        survivors.account_id,
        survivors.account_match,
        survivors.email_hash,
        survivors.email_domain,
        coalesce(first_leads.segment_code, survivors.segment_code) as segment_code,
        coalesce(first_leads.lead_source, survivors.lead_source) as lead_source,
        coalesce(survivors.owner_user_id, latest_owners.owner_user_id) as owner_user_id,
        coalesce(survivors.owner_user_id, latest_owners.owner_user_id) is not null as has_owner,
        survivors.title,
        survivors.country,
        survivors.icp_version,
        survivors.is_icp_title_fit,
        first_leads.lead_id as first_lead_id,
        first_contacts.contact_id,
        person_rollups.first_created_at,
        person_rollups.lead_record_count,
        person_rollups.contact_record_count,
        person_rollups.merged_record_count,
        person_rollups.merged_record_ids,
        person_rollups.duplicate_lead_count,
        person_rollups.ownerless_lead_count,
        {{ run_stamp() }} as recomputed_at
    from survivors
    inner join person_rollups
        on survivors.person_id = person_rollups.person_id
    left join first_leads
        on survivors.person_id = first_leads.person_id
    left join first_contacts
        on survivors.person_id = first_contacts.person_id
    left join latest_owners
        on survivors.person_id = latest_owners.person_id

)

select * from final
