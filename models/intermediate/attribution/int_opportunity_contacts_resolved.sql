-- The people behind an opportunity's live contact roles, one row per opportunity and person,
-- with when each person's lead was created: the opportunity's lead creation moment is its
-- primary person's, else the earliest of its contact-role people (a deal with no contact
-- role has none, and its lead-creation weight is redistributed; see fct_attribution).

with

contact_roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}
    where not is_deleted

),

person_records as (

    select * from {{ ref('int_person_records_resolved') }}
    where record_type = 'contact'

),

lifecycles as (

    select * from {{ ref('fct_lead_lifecycle') }}

),

role_people as (

    select
        contact_roles.opportunity_id,
        person_records.person_id,
        max(case when contact_roles.is_primary then 1 else 0 end) as is_primary_number
    from contact_roles
    inner join person_records
        on contact_roles.contact_id = person_records.contact_id
    group by
        contact_roles.opportunity_id,
        person_records.person_id

),

final as (

    select
        role_people.opportunity_id,
        role_people.person_id,
        role_people.is_primary_number = 1 as is_primary,
        lifecycles.lead_created_at
    from role_people
    left join lifecycles
        on role_people.person_id = lifecycles.person_id

)

select * from final
