{#- The funnel by segment x lead source (and the sourced_by it maps to) x period, for months
    and quarters (period_grain), counted two ways (method):

    cohort  the MQLs of the period (by mql_at), each followed to what it became in its cycle
            (int_mql_cohorts_converted): "of this month's MQLs, how many were accepted?".
            Rates are final only once the cohort has had time to convert.
    flow    the stage entries that happened in the period, whatever MQL they follow
            (int_funnel_events_unioned): "how many SALs did sales accept this month?". A flow
            rate divides two counts of the same period, so it can exceed 1.

    Rates: mql_to_sal = SAL / MQL, mql_to_sql = SQL / MQL, sql_to_opportunity = opportunity /
    SQL, win_rate = won / (won + lost). Velocity: average days per stage transition; cohort
    rows over the cohort's cycles, flow rows over the people whose later stage was first
    reached in the period (fct_lead_lifecycle).

    Pipeline (amount_reporting of fct_opportunities, in var reporting_currency): cohort rows
    hold the opportunities the cohort created, flow rows the opportunities created in the
    period, sliced by the opportunity's own segment and lead source. Pipeline coverage (flow
    rows only) = open pipeline due in the period (still open, close_date in the period) /
    closed-won amount of the period (won, close_date in the period). The project has no
    quota seed: what the period actually won stands in for its target. -#}
{%- set period_grains = ['month', 'quarter'] -%}
{#- A flow row's slice: the columns its counts, velocity and pipeline are joined on. -#}
{%- set slice_columns = ['period_grain', 'period_start', 'segment_code', 'lead_source', 'sourced_by'] -%}

with

cohorts as (

    select * from {{ ref('int_mql_cohorts_converted') }}

),

flow_events as (

    select * from {{ ref('int_funnel_events_unioned') }}

),

lifecycles as (

    select * from {{ ref('fct_lead_lifecycle') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

---------- cohort

cohort_periods as (

    {{ union_over_period_grains('cohorts', 'mql_at', period_grains) }}

),

cohort_metrics as (

    select
        'cohort' as method,
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by,
        count(*) as mql_count,
        sum(case when is_accepted then 1 else 0 end) as sal_count,
        sum(case when has_reached_sql then 1 else 0 end) as sql_count,
        sum(case when has_reached_opportunity then 1 else 0 end) as opportunity_count,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_lost then 1 else 0 end) as lost_count,
        avg(days_mql_to_sal) as avg_days_mql_to_sal,
        avg(days_sal_to_sql) as avg_days_sal_to_sql,
        avg(days_sql_to_opportunity) as avg_days_sql_to_opportunity,
        avg(days_opportunity_to_close) as avg_days_opportunity_to_close,
        coalesce(sum(amount_reporting), 0) as pipeline_created_amount,
        coalesce(sum(case when is_opportunity_won then amount_reporting end), 0) as won_amount,
        coalesce(sum(case when not is_opportunity_closed then amount_reporting end), 0)
            as open_pipeline_amount
    from cohort_periods
    group by
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by

),

---------- flow

flow_event_periods as (

    {{ union_over_period_grains('flow_events', 'event_at', period_grains) }}

),

-- One row per completed transition, dated by the first entry of its later stage.
transitions as (

    {%- set transition_columns = [
        ('days_mql_to_sal', 'sal_at'),
        ('days_sal_to_sql', 'sql_at'),
        ('days_sql_to_opportunity', 'opportunity_at'),
        ('days_opportunity_to_close', 'coalesce(won_at, lost_at)'),
    ] %}
    {%- for days_column, reached_at in transition_columns %}
    select
        '{{ days_column }}' as transition,
        {{ reached_at }} as reached_at,
        {{ days_column }} as days_in_stage,
        coalesce(segment_code, 'unknown') as segment_code,
        coalesce(lead_source, 'unknown') as lead_source,
        coalesce(sourced_by, 'unknown') as sourced_by
    from lifecycles
    where {{ days_column }} is not null
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

transition_periods as (

    {{ union_over_period_grains('transitions', 'reached_at', period_grains) }}

),

opportunity_slices as (

    select
        opportunity_id,
        created_at,
        close_date,
        is_closed,
        is_won,
        amount_reporting,
        coalesce(segment_code, 'unknown') as segment_code,
        coalesce(lead_source, 'unknown') as lead_source,
        sourced_by
    from opportunities

),

-- Each opportunity once on its created date (pipeline created) and once on its close date
-- (won, or still open and due).
opportunity_dates as (

    select
        created_at as dated_at,
        segment_code,
        lead_source,
        sourced_by,
        amount_reporting as created_amount,
        cast(null as {{ type_double() }}) as won_amount,
        cast(null as {{ type_double() }}) as open_due_amount
    from opportunity_slices

    union all

    select
        cast(close_date as {{ dbt.type_timestamp() }}) as dated_at,
        segment_code,
        lead_source,
        sourced_by,
        cast(null as {{ type_double() }}) as created_amount,
        case when is_won then amount_reporting end as won_amount,
        case when not is_closed then amount_reporting end as open_due_amount
    from opportunity_slices
    where close_date is not null

),

opportunity_periods as (

    {{ union_over_period_grains('opportunity_dates', 'dated_at', period_grains) }}

),

flow_counts as (

    select
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by,
        sum(case when stage_code = 'mql' then 1 else 0 end) as mql_count,
        sum(case when stage_code = 'sal' then 1 else 0 end) as sal_count,
        sum(case when stage_code = 'sql' then 1 else 0 end) as sql_count,
        sum(case when stage_code = 'opportunity' then 1 else 0 end) as opportunity_count,
        sum(case when stage_code = 'won' then 1 else 0 end) as won_count,
        sum(case when stage_code = 'lost' then 1 else 0 end) as lost_count
    from flow_event_periods
    group by
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by

),

flow_velocity as (

    select
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by,
        avg(case when transition = 'days_mql_to_sal' then days_in_stage end) as avg_days_mql_to_sal,
        avg(case when transition = 'days_sal_to_sql' then days_in_stage end) as avg_days_sal_to_sql,
        avg(case when transition = 'days_sql_to_opportunity' then days_in_stage end)
            as avg_days_sql_to_opportunity,
        avg(case when transition = 'days_opportunity_to_close' then days_in_stage end)
            as avg_days_opportunity_to_close
    from transition_periods
    group by
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by

),

flow_pipeline as (

    select
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by,
        coalesce(sum(created_amount), 0) as pipeline_created_amount,
        coalesce(sum(won_amount), 0) as won_amount,
        coalesce(sum(open_due_amount), 0) as open_pipeline_amount
    from opportunity_periods
    group by
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by

),

flow_slices as (

    {%- for measures in ['flow_counts', 'flow_velocity', 'flow_pipeline'] %}
    select {{ slice_columns | join(', ') }} from {{ measures }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}

),

flow_metrics as (

    select
        'flow' as method,
        flow_slices.period_grain,
        flow_slices.period_start,
        flow_slices.segment_code,
        flow_slices.lead_source,
        flow_slices.sourced_by,
        coalesce(flow_counts.mql_count, 0) as mql_count,
        coalesce(flow_counts.sal_count, 0) as sal_count,
        coalesce(flow_counts.sql_count, 0) as sql_count,
        coalesce(flow_counts.opportunity_count, 0) as opportunity_count,
        coalesce(flow_counts.won_count, 0) as won_count,
        coalesce(flow_counts.lost_count, 0) as lost_count,
        flow_velocity.avg_days_mql_to_sal,
        flow_velocity.avg_days_sal_to_sql,
        flow_velocity.avg_days_sql_to_opportunity,
        flow_velocity.avg_days_opportunity_to_close,
        coalesce(flow_pipeline.pipeline_created_amount, 0) as pipeline_created_amount,
        coalesce(flow_pipeline.won_amount, 0) as won_amount,
        coalesce(flow_pipeline.open_pipeline_amount, 0) as open_pipeline_amount
    from flow_slices
    {%- for measures in ['flow_counts', 'flow_velocity', 'flow_pipeline'] %}
    left join {{ measures }}
        {%- for column in slice_columns %}
        {{ 'on' if loop.first else 'and' }} flow_slices.{{ column }} = {{ measures }}.{{ column }}
        {%- endfor %}
    {%- endfor %}

),

---------- both

metrics as (

    select * from cohort_metrics
    union all
    select * from flow_metrics

),

final as (

    select
        {{ dbt.concat([
            'method', "'|'", 'period_grain', "'|'",
            'cast(period_start as ' ~ dbt.type_string() ~ ')', "'|'",
            'segment_code', "'|'", 'lead_source'
        ]) }} as funnel_row_id,
        method,
        period_grain,
        period_start,
        segment_code,
        lead_source,
        sourced_by,
        mql_count,
        sal_count,
        sql_count,
        opportunity_count,
        won_count,
        lost_count,
        cast(sal_count as {{ type_double() }}) / nullif(mql_count, 0) as mql_to_sal_rate,
        cast(sql_count as {{ type_double() }}) / nullif(mql_count, 0) as mql_to_sql_rate,
        cast(opportunity_count as {{ type_double() }}) / nullif(sql_count, 0)
            as sql_to_opportunity_rate,
        cast(won_count as {{ type_double() }}) / nullif(won_count + lost_count, 0) as win_rate,
        cast(avg_days_mql_to_sal as {{ type_double() }}) as avg_days_mql_to_sal,
        cast(avg_days_sal_to_sql as {{ type_double() }}) as avg_days_sal_to_sql,
        cast(avg_days_sql_to_opportunity as {{ type_double() }}) as avg_days_sql_to_opportunity,
        cast(avg_days_opportunity_to_close as {{ type_double() }}) as avg_days_opportunity_to_close,
        pipeline_created_amount,
        won_amount,
        open_pipeline_amount,
        case
            when method = 'flow' then open_pipeline_amount / nullif(won_amount, 0)
        end as pipeline_coverage_ratio
    from metrics

)

select * from final
