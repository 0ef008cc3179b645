{#- Flow view of the funnel: every stage entry as an event on its own date, whoever's MQL it
    follows. MQLs are the MQL events of fct_handoffs (so flow MQL volume equals the handoff
    count); the later stages are the stage entries of fct_lifecycle_events, each entry
    counted (a person accepted in two cycles is two SAL events). Slices (segment, lead source,
    sourced by) are the person's, as in fct_lead_lifecycle. -#}
with

handoffs as (

    select * from {{ ref('fct_handoffs') }}

),

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}
    where stage_code in ('sal', 'sql', 'opportunity', 'won', 'lost')

),

lifecycles as (

    select * from {{ ref('fct_lead_lifecycle') }}

),

events as (

    select
        handoff_id as funnel_event_id,
        person_id,
        'mql' as stage_code,
        mql_at as event_at
    from handoffs

    union all

    select
        lifecycle_event_id as funnel_event_id,
        person_id,
        stage_code,
        entered_at as event_at
    from lifecycle_events

),

final as (

    select
        events.funnel_event_id,
        events.person_id,
        events.stage_code,
        events.event_at,
        coalesce(lifecycles.segment_code, 'unknown') as segment_code,
        coalesce(lifecycles.lead_source, 'unknown') as lead_source,
        coalesce(lifecycles.sourced_by, 'unknown') as sourced_by
    from events
    left join lifecycles
        on events.person_id = lifecycles.person_id

)

select * from final
