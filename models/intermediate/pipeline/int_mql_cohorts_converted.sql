{#- Cohort view of the funnel: every MQL event (fct_handoffs) followed to what it became.
    An MQL's cycle runs from its mql_at to the person's next MQL (open-ended for the last), so
    a boomerang's second MQL is judged on what followed it, not on the first cycle's deal.
    Accepted (SAL) is the handoff's outcome, the decision sales recorded; SQL, opportunity,
    won and lost are the person's first such stage entry (fct_lifecycle_events) inside the
    cycle; the pipeline is the person's opportunity when it was created inside the cycle.
    Slices (segment, lead source, sourced by) are the person's, as in fct_lead_lifecycle, so
    cohort and flow rows of metrics_funnel split the same people the same way. -#}
with

handoffs as (

    select * from {{ ref('fct_handoffs') }}

),

lifecycles as (

    select * from {{ ref('fct_lead_lifecycle') }}

),

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}
    where stage_code in ('sal', 'sql', 'opportunity', 'won', 'lost')

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

mql_cycles as (

    select
        handoff_id,
        person_id,
        mql_at,
        outcome,
        lead(mql_at) over (
            partition by person_id
            order by mql_at, handoff_id
        ) as next_mql_at
    from handoffs

),

stages_in_cycle as (

    select
        mql_cycles.handoff_id,
        min(case when lifecycle_events.stage_code = 'sal' then lifecycle_events.entered_at end) as sal_at,
        min(case when lifecycle_events.stage_code = 'sql' then lifecycle_events.entered_at end) as sql_at,
        min(case when lifecycle_events.stage_code = 'opportunity' then lifecycle_events.entered_at end)
            as opportunity_at,
        min(case when lifecycle_events.stage_code = 'won' then lifecycle_events.entered_at end) as won_at,
        min(case when lifecycle_events.stage_code = 'lost' then lifecycle_events.entered_at end) as lost_at
    from mql_cycles
    inner join lifecycle_events
        on mql_cycles.person_id = lifecycle_events.person_id
        and lifecycle_events.entered_at >= mql_cycles.mql_at
        and (mql_cycles.next_mql_at is null or lifecycle_events.entered_at < mql_cycles.next_mql_at)
    group by mql_cycles.handoff_id

),

cycle_opportunities as (

    select
        mql_cycles.handoff_id,
        opportunities.opportunity_id,
        opportunities.amount_reporting,
        opportunities.is_closed,
        opportunities.is_won
    from mql_cycles
    inner join lifecycles
        on mql_cycles.person_id = lifecycles.person_id
    inner join opportunities
        on lifecycles.opportunity_id = opportunities.opportunity_id
        and opportunities.created_at >= mql_cycles.mql_at
        and (mql_cycles.next_mql_at is null or opportunities.created_at < mql_cycles.next_mql_at)

),

followed as (

    select
        mql_cycles.handoff_id,
        mql_cycles.person_id,
        mql_cycles.mql_at,
        mql_cycles.next_mql_at,
        mql_cycles.outcome,
        coalesce(lifecycles.segment_code, 'unknown') as segment_code,
        coalesce(lifecycles.lead_source, 'unknown') as lead_source,
        coalesce(lifecycles.sourced_by, 'unknown') as sourced_by,
        stages_in_cycle.sal_at,
        stages_in_cycle.sql_at,
        stages_in_cycle.opportunity_at,
        stages_in_cycle.won_at,
        stages_in_cycle.lost_at,
        cycle_opportunities.opportunity_id,
        cycle_opportunities.amount_reporting,
        cycle_opportunities.is_closed as is_opportunity_closed,
        cycle_opportunities.is_won as is_opportunity_won
    from mql_cycles
    left join lifecycles
        on mql_cycles.person_id = lifecycles.person_id
    left join stages_in_cycle
        on mql_cycles.handoff_id = stages_in_cycle.handoff_id
    left join cycle_opportunities
        on mql_cycles.handoff_id = cycle_opportunities.handoff_id

),

final as (

    select
        handoff_id,
        person_id,
        mql_at,
        next_mql_at,
        segment_code,
        lead_source,
        sourced_by,
        outcome,
        outcome = 'accepted' as is_accepted,
        sql_at is not null as has_reached_sql,
        opportunity_at is not null as has_reached_opportunity,
        won_at is not null as is_won,
        won_at is null and lost_at is not null as is_lost,
        sal_at,
        sql_at,
        opportunity_at,
        won_at,
        lost_at,
        -- Velocity inside the cycle in days (two decimals); null when a stage was skipped or
        -- is dated before the one it follows (time running backwards is not averaged).
        case when sal_at >= mql_at then {{ elapsed('mql_at', 'sal_at', 'day') }} end
            as days_mql_to_sal,
        case when sql_at >= sal_at then {{ elapsed('sal_at', 'sql_at', 'day') }} end
            as days_sal_to_sql,
        case when opportunity_at >= sql_at then {{ elapsed('sql_at', 'opportunity_at', 'day') }} end
            as days_sql_to_opportunity,
        case
            when coalesce(won_at, lost_at) >= opportunity_at
                then {{ elapsed('opportunity_at', 'coalesce(won_at, lost_at)', 'day') }}
        end as days_opportunity_to_close,
        opportunity_id,
        amount_reporting,
        is_opportunity_closed,
        is_opportunity_won
    from followed

)

select * from final
