-- Identity resolution: every lead and contact record gets the person it belongs to.
-- Rule: a lead converted to a live contact belongs to that contact's person; every other
-- record is keyed by its normalised email (salted hash), or by its own id when it has none.
-- Records sharing a key are one person. The survivor, whose id becomes person_id, is the
-- earliest-created contact of the key, else its earliest-created lead (ties by id).

with

records as (

    select * from {{ ref('int_person_records_unioned') }}

),

contact_keys as (

    select
        contact_id,
        coalesce(email_hash, contact_id) as match_key
    from records
    where record_type = 'contact'

),

records_keyed as (

    select
        records.*,
        case
            when contact_keys.contact_id is not null then contact_keys.match_key
            else coalesce(records.email_hash, records.record_id)
        end as match_key,
        contact_keys.contact_id is not null as is_converted_to_live_contact
    from records
    left join contact_keys
        on records.converted_contact_id = contact_keys.contact_id

),

records_ranked as (

    select
        records_keyed.*,
        row_number() over (
            partition by match_key
            order by
                case when record_type = 'contact' then 0 else 1 end,
                created_at,
                record_id
        ) as survivor_rank,
        count(*) over (partition by match_key) as person_record_count,
        -- The duplicate-lead test of the audit: a lead whose address an earlier lead had.
        min(case when record_type = 'lead' then created_at end) over (
            partition by email_hash
        ) as first_lead_with_email_created_at
    from records_keyed

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
        records_ranked.created_at
    from records_ranked
    inner join survivors
        on records_ranked.match_key = survivors.match_key

)

select * from final
