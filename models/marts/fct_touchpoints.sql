{#- One row per touch: who made it (person and account), when, through which channel and
    campaign, and which of the person's lifecycle milestones it marks. The milestone flags
    here are the person's (fct_lead_lifecycle); an opportunity's own milestones, among the
    touches of its whole buying group, are in fct_attribution.

    A milestone touch is the last eligible touch at or before the milestone's moment (the
    touch that "caused" it): first touch = the earliest; ties on timestamp are resolved by
    touchpoint_id, so the same touch wins on every engine and every run. -#}
{%- set include_sales_touches = var('attribution')['include_sales_touches'] -%}

with

touches as (

    select * from {{ ref('int_touchpoints_unioned') }}

),

person_records as (

    select * from {{ ref('int_person_records_resolved') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

lifecycles as (

    select * from {{ ref('fct_lead_lifecycle') }}

),

channel_mapping as (

    select * from {{ ref('def_channel_mapping') }}

),

touches_resolved as (

    select
        touches.*,
        coalesce(lead_records.person_id, contact_records.person_id) as person_id
    from touches
    left join person_records as lead_records
        on touches.lead_id = lead_records.lead_id
        and lead_records.record_type = 'lead'
    left join person_records as contact_records
        on touches.contact_id = contact_records.contact_id
        and contact_records.record_type = 'contact'

),

-- Most specific rule first: source and medium, then source alone ('*' medium), then medium alone.
touches_channelled as (

    select
        touches_resolved.*,
        case
            when touches_resolved.is_sales_touch then 'sales'
            else coalesce(exact_rules.channel, source_rules.channel, medium_rules.channel, 'other')
        end as channel,
        case
            when touches_resolved.is_sales_touch then 'sales'
            else coalesce(
                exact_rules.channel_group, source_rules.channel_group, medium_rules.channel_group, 'other'
            )
        end as channel_group
    from touches_resolved
    left join channel_mapping as exact_rules
        on touches_resolved.utm_source = exact_rules.utm_source
        and touches_resolved.utm_medium = exact_rules.utm_medium
    left join channel_mapping as source_rules
        on touches_resolved.utm_source = source_rules.utm_source
        and source_rules.utm_medium = '*'
    left join channel_mapping as medium_rules
        on touches_resolved.utm_medium = medium_rules.utm_medium
        and medium_rules.utm_source = '*'

),

touches_placed as (

    select
        touches_channelled.*,
        coalesce(people.account_id, touches_channelled.source_account_id) as account_id,
        {% if include_sales_touches -%}
        true as is_attribution_eligible,
        {%- else -%}
        not touches_channelled.is_sales_touch as is_attribution_eligible,
        {%- endif %}
        lifecycles.lead_created_at,
        lifecycles.first_mql_at,
        lifecycles.opportunity_at,
        lifecycles.won_at
    from touches_channelled
    left join people
        on touches_channelled.person_id = people.person_id
    left join lifecycles
        on touches_channelled.person_id = lifecycles.person_id

),

touches_ranked as (

    select
        touches_placed.*,
        case
            when touches_placed.is_attribution_eligible and touches_placed.person_id is not null
                then row_number() over (
                    partition by touches_placed.person_id, touches_placed.is_attribution_eligible
                    order by touches_placed.touched_at, touches_placed.touchpoint_id
                )
        end as person_touch_number
    from touches_placed

),

milestone_numbers as (

    select
        touches_ranked.*,
        max(case when touched_at <= lead_created_at then person_touch_number end)
            over (partition by person_id) as lead_creation_touch_number,
        max(case when touched_at <= first_mql_at then person_touch_number end)
            over (partition by person_id) as mql_touch_number,
        max(case when touched_at <= opportunity_at then person_touch_number end)
            over (partition by person_id) as opportunity_creation_touch_number,
        max(case when touched_at <= won_at then person_touch_number end)
            over (partition by person_id) as closed_won_touch_number
    from touches_ranked

),

final as (

    select
        ---------- ids
        touchpoint_id,
        touch_source,
        source_record_id,
        person_id,
        account_id,
        lead_id,
        contact_id,
        campaign_id,
        program_id,

        ---------- touch
        activity_type,
        touched_at,
        cast(touched_at as date) as touched_date,
        channel,
        channel_group,
        utm_source,
        utm_medium,
        utm_campaign,
        is_sales_touch,
        is_attribution_eligible,
        person_touch_number,

        ---------- the person's milestones (var attribution.include_sales_touches decides eligibility)
        coalesce(person_touch_number = 1, false) as is_first_touch,
        coalesce(person_touch_number = lead_creation_touch_number, false) as is_lead_creation_touch,
        coalesce(person_touch_number = mql_touch_number, false) as is_mql_touch,
        coalesce(person_touch_number = opportunity_creation_touch_number, false)
            as is_opportunity_creation_touch,
        coalesce(person_touch_number = closed_won_touch_number, false) as is_closed_won_touch
    from milestone_numbers

)

select * from final
