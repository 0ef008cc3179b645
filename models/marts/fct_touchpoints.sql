{#- One row per touch: who made it (person and account), when, through which channel and
    campaign, and which of the person's lifecycle milestones it marks. The milestone flags
    here are the person's (fct_lead_lifecycle); an opportunity's own milestones, among the
    touches of its whole buying group, are in fct_attribution.

    A milestone touch is the last eligible touch at or before the milestone's moment (the
    touch that "caused" it): first touch = the earliest; ties on timestamp are resolved by
    touchpoint_id, so the same touch wins on every engine and every run.

    Incremental: the numbering and the milestone flags depend on
    all of a person's touches, so a run recomputes every touch of each affected person: one
    with a touch that is new, gone, or changed before numbering (person, account, time,
    channel, eligibility ...; compared with the rows this table holds), or whose lifecycle
    milestones would now flag another touch. Person ids move when records merge (a lead
    converted to a contact takes the contact's person), so rows are replaced by touchpoint_id
    and both the old and the new person are recomputed; a touch gone from the sources is
    deleted by the post-hook. Equal to a full rebuild: tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ incremental_delete_gone_rows('touchpoint_id', ref('int_touchpoints_unioned')) }}",
) }}
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

{% if is_incremental() %}

stored_touches as (

    select * from {{ this }}

),

-- A touch that is new, gone, or differs in a fact the numbering or a flag depends on. Both its
-- stored and its current person are affected (a merge moves touches between persons).
touch_changes as (

    select
        coalesce(touches_placed.touchpoint_id, stored_touches.touchpoint_id) as touchpoint_id,
        touches_placed.person_id as current_person_id,
        stored_touches.person_id as stored_person_id
    from touches_placed
    full outer join stored_touches
        on touches_placed.touchpoint_id = stored_touches.touchpoint_id
    where touches_placed.touchpoint_id is null
        or stored_touches.touchpoint_id is null
        {%- for column in [
            'person_id', 'account_id', 'touched_at', 'is_attribution_eligible', 'touch_source',
            'source_record_id', 'lead_id', 'contact_id', 'campaign_id', 'program_id',
            'activity_type', 'channel', 'channel_group', 'utm_source', 'utm_medium',
            'utm_campaign', 'is_sales_touch',
        ] %}
        or touches_placed.{{ column }} is distinct from stored_touches.{{ column }}
        {%- endfor %}

),

-- A person whose touches did not change but whose lifecycle milestones moved: the touch each
-- milestone would flag now, from the stored numbers, differs from the touch flagged.
milestone_changes as (

    select stored_touches.person_id
    from stored_touches
    left join lifecycles
        on stored_touches.person_id = lifecycles.person_id
    where stored_touches.person_id is not null
    group by stored_touches.person_id
    having
        {%- for milestone, moment in [
            ('lead_creation', 'lead_created_at'), ('mql', 'first_mql_at'),
            ('opportunity_creation', 'opportunity_at'), ('closed_won', 'won_at'),
        ] %}
        {{ 'or ' if not loop.first }}max(
            case when stored_touches.touched_at <= lifecycles.{{ moment }} then stored_touches.person_touch_number end
        ) is distinct from max(
            case when stored_touches.is_{{ milestone }}_touch then stored_touches.person_touch_number end
        )
        {%- endfor %}

),

affected_people as (

    select current_person_id as person_id from touch_changes
    union
    select stored_person_id as person_id from touch_changes
    union
    select person_id from milestone_changes
    {%- if backfill_window() %}
    -- revops backfill: every person with a touch on its days.
    union
    select person_id from touches_placed
    where {{ in_backfill_window('touches_placed.touched_at') }}
    {%- endif %}

),

{% endif %}

-- Full build: every touch. Incremental: every touch of an affected person, and changed touches
-- without a person (they have no numbering to redo).
touches_in_scope as (

    select * from touches_placed
    {% if is_incremental() %}
    where touches_placed.person_id in (select affected_people.person_id from affected_people)
        or touches_placed.touchpoint_id in (select touch_changes.touchpoint_id from touch_changes)
    {% endif %}

),

touches_ranked as (

    select
        touches_in_scope.*,
        case
            when touches_in_scope.is_attribution_eligible and touches_in_scope.person_id is not null
                then row_number() over (
                    partition by touches_in_scope.person_id, touches_in_scope.is_attribution_eligible
                    order by touches_in_scope.touched_at, touches_in_scope.touchpoint_id
                )
        end as person_touch_number
    from touches_in_scope

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
