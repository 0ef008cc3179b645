-- The opportunities a person's lifecycle ran into: the opportunity a lead of theirs was
-- converted into, and any live opportunity whose live primary contact role is a contact of
-- theirs. Other buying-group members are influencers, not the person the deal came from.
-- A deal's close is its first change to a closed stage in the opportunity history, else its
-- close date when the CRM marks it closed.

with

person_records as (

    select * from {{ ref('int_person_records_resolved') }}

),

opportunities as (

    select * from {{ ref('int_opportunity_accounts_resolved') }}
    where not is_deleted

),

contact_roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}
    where not is_deleted
        and is_primary

),

opportunity_history as (

    select * from {{ ref('stg_crm__opportunity_history') }}
    where not is_deleted

),

matches as (

    select
        person_id,
        converted_opportunity_id as opportunity_id,
        'converted_lead' as match_type,
        1 as match_priority
    from person_records
    where converted_opportunity_id is not null

    union all

    select
        person_records.person_id,
        contact_roles.opportunity_id,
        'primary_contact' as match_type,
        2 as match_priority
    from contact_roles
    inner join person_records
        on contact_roles.contact_id = person_records.contact_id

),

unique_matches as (

    select
        person_id,
        opportunity_id,
        match_type
    from (
        select
            matches.*,
            row_number() over (
                partition by person_id, opportunity_id
                order by match_priority
            ) as match_rank
        from matches
    ) as ranked_matches
    where match_rank = 1

),

-- Stage names are the CRM's; a closed stage is one the opportunity's own flags call closed.
closes as (

    select
        opportunity_history.opportunity_id,
        min(opportunity_history.changed_at) as closed_at
    from opportunity_history
    inner join opportunities
        on opportunity_history.opportunity_id = opportunities.opportunity_id
        and opportunity_history.stage_name = opportunities.stage_name
    where opportunities.is_closed
    group by opportunity_history.opportunity_id

),

final as (

    select
        unique_matches.person_id,
        unique_matches.opportunity_id,
        unique_matches.match_type,
        opportunities.account_id,
        opportunities.created_at as opportunity_created_at,
        opportunities.amount,
        opportunities.close_date,
        opportunities.is_closed,
        opportunities.is_won,
        case
            when opportunities.is_closed
                then coalesce(closes.closed_at, cast(opportunities.close_date as {{ dbt.type_timestamp() }}))
        end as closed_at,
        row_number() over (
            partition by unique_matches.person_id
            order by opportunities.created_at, unique_matches.opportunity_id
        ) as person_opportunity_number
    from unique_matches
    inner join opportunities
        on unique_matches.opportunity_id = opportunities.opportunity_id
    left join closes
        on unique_matches.opportunity_id = closes.opportunity_id

)

select * from final
