{#- The primary contact of an opportunity: the contact of its live (not deleted) contact role
    flagged primary, and the person identity resolution made of that contact. Salesforce
    allows one primary per opportunity; should two arrive, the earliest role wins, then the
    lowest role id, so the pick is the same on every run. -#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where not is_deleted

),

contact_roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}
    where not is_deleted

),

contact_records as (

    select * from {{ ref('int_person_records_resolved') }}
    where record_type = 'contact'

),

primary_roles_ranked as (

    select
        opportunity_id,
        contact_id,
        contact_role,
        row_number() over (
            partition by opportunity_id
            order by created_at, opportunity_contact_role_id
        ) as primary_rank
    from contact_roles
    where is_primary

),

buying_groups as (

    select
        opportunity_id,
        count(distinct contact_id) as buying_group_size
    from contact_roles
    group by opportunity_id

),

final as (

    select
        opportunities.opportunity_id,
        primary_roles_ranked.contact_id as primary_contact_id,
        -- Null too when the primary contact is deleted: a deleted contact is nobody's record.
        contact_records.person_id as primary_person_id,
        primary_roles_ranked.contact_role as primary_contact_role,
        primary_roles_ranked.contact_id is not null as has_primary_contact,
        coalesce(buying_groups.buying_group_size, 0) as buying_group_size
    from opportunities
    left join primary_roles_ranked
        on opportunities.opportunity_id = primary_roles_ranked.opportunity_id
        and primary_roles_ranked.primary_rank = 1
    left join contact_records
        on primary_roles_ranked.contact_id = contact_records.contact_id
    left join buying_groups
        on opportunities.opportunity_id = buying_groups.opportunity_id

)

select * from final
