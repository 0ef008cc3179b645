{#- Leading indicators that marketing-sales alignment is breaking (DOMAIN.md), per week and
    per quarter (period_grain), each with its warning line from var leading_indicators:

    * "Where did that lead go?": MQLs of the period still open with no owner, no touch, an
      inactive owner, or lost between systems (fct_handoffs). Warning when more than
      where_did_that_lead_go_per_week a week; a quarter compares its weekly average.
    * Rejections: the share of the period's MQLs sales rejected, and the share of the
      period's rejections (fct_rejections, by rejected_at) without a valid reason code.
      Warning when that unknown share is above unknown_rejection_reason_share.
    * SLA: the share of the period's MQLs first touched within their SLA. Warning when below
      sla_compliance_target.
    * Pipeline: the numbers marketing and sales cite, side by side for the opportunities
      created in the period (fct_opportunities): marketing-influenced, marketing-sourced and
      the CRM total, plus active (still open at the end of the period, whenever created),
      with the difference explained in pipeline_reconciliation_note.
    * MQL-to-SAL: accepted / MQLs of the period; a quarter is healthy when it and the quarter
      before are both above mql_to_sal_healthy_rate (weeks: not judged). -#}
{%- set indicators = var('leading_indicators') -%}
{%- set lookback_days = var('attribution')['lookback_days'] -%}
{%- set period_grains = ['week', 'quarter'] -%}

with

handoffs as (

    select * from {{ ref('fct_handoffs') }}

),

rejections as (

    select * from {{ ref('fct_rejections') }}
    where rejected_at is not null

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

---------- one row per fact and period grain, with what it adds to each measure

facts as (

    select
        mql_at as fact_at,
        1 as mql_count,
        case when is_where_did_that_lead_go then 1 else 0 end as where_did_that_lead_go_count,
        case when outcome = 'accepted' then 1 else 0 end as accepted_mql_count,
        case when outcome = 'rejected' then 1 else 0 end as rejected_mql_count,
        case when is_within_sla then 1 else 0 end as within_sla_count,
        0 as rejection_count,
        0 as unknown_reason_rejection_count,
        0 as created_opportunity_count,
        0 as influenced_opportunity_count,
        0 as marketing_sourced_opportunity_count,
        0 as influenced_not_sourced_count,
        0 as sourced_not_influenced_count,
        0 as closed_opportunity_count,
        cast(0 as {{ type_double() }}) as crm_pipeline_amount,
        cast(0 as {{ type_double() }}) as influenced_pipeline_amount,
        cast(0 as {{ type_double() }}) as marketing_sourced_pipeline_amount
    from handoffs

    union all

    select
        rejected_at as fact_at,
        0, 0, 0, 0, 0,
        1 as rejection_count,
        case when is_reason_valid then 0 else 1 end as unknown_reason_rejection_count,
        0, 0, 0, 0, 0, 0,
        0, 0, 0
    from rejections

    union all

    select
        created_at as fact_at,
        0, 0, 0, 0, 0, 0, 0,
        1 as created_opportunity_count,
        case when is_marketing_influenced then 1 else 0 end as influenced_opportunity_count,
        case when sourced_by = 'marketing' then 1 else 0 end as marketing_sourced_opportunity_count,
        case when is_marketing_influenced and sourced_by <> 'marketing' then 1 else 0 end
            as influenced_not_sourced_count,
        case when sourced_by = 'marketing' and not is_marketing_influenced then 1 else 0 end
            as sourced_not_influenced_count,
        0 as closed_opportunity_count,
        coalesce(amount_reporting, 0) as crm_pipeline_amount,
        case when is_marketing_influenced then coalesce(amount_reporting, 0) else 0 end
            as influenced_pipeline_amount,
        case when sourced_by = 'marketing' then coalesce(amount_reporting, 0) else 0 end
            as marketing_sourced_pipeline_amount
    from opportunities

    union all

    -- A closed deal stops being active on its close date.
    select
        cast(close_date as {{ dbt.type_timestamp() }}) as fact_at,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1 as closed_opportunity_count,
        0, 0, 0
    from opportunities
    where is_closed
        and close_date is not null

),

fact_periods as (

    {%- for grain in period_grains %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'fact_at') }} as date) as period_start,
        facts.*
    from facts
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

period_totals as (

    select
        period_grain,
        period_start,
        sum(mql_count) as mql_count,
        sum(where_did_that_lead_go_count) as where_did_that_lead_go_count,
        sum(accepted_mql_count) as accepted_mql_count,
        sum(rejected_mql_count) as rejected_mql_count,
        sum(within_sla_count) as within_sla_count,
        sum(rejection_count) as rejection_count,
        sum(unknown_reason_rejection_count) as unknown_reason_rejection_count,
        sum(created_opportunity_count) as created_opportunity_count,
        sum(influenced_opportunity_count) as influenced_opportunity_count,
        sum(marketing_sourced_opportunity_count) as marketing_sourced_opportunity_count,
        sum(influenced_not_sourced_count) as influenced_not_sourced_count,
        sum(sourced_not_influenced_count) as sourced_not_influenced_count,
        sum(closed_opportunity_count) as closed_opportunity_count,
        sum(crm_pipeline_amount) as crm_pipeline_amount,
        sum(influenced_pipeline_amount) as influenced_pipeline_amount,
        sum(marketing_sourced_pipeline_amount) as marketing_sourced_pipeline_amount
    from fact_periods
    group by
        period_grain,
        period_start

),

period_measures as (

    select
        period_totals.*,
        -- A quarter is three months (PostgreSQL has no quarter interval): 12.9 to 13.1 weeks.
        case
            when period_grain = 'week' then cast(1 as {{ type_double() }})
            else cast(
                {{ dbt.datediff('period_start', dbt.dateadd('month', 3, 'period_start'), 'day') }}
                as {{ type_double() }}
            ) / 7
        end as weeks_in_period,
        -- Open at the end of the period: created by then and not closed by then.
        sum(created_opportunity_count) over (
            partition by period_grain
            order by period_start
            rows between unbounded preceding and current row
        ) - sum(closed_opportunity_count) over (
            partition by period_grain
            order by period_start
            rows between unbounded preceding and current row
        ) as active_opportunity_count,
        cast(accepted_mql_count as {{ type_double() }}) / nullif(mql_count, 0) as mql_to_sal_rate,
        lag(period_start) over (partition by period_grain order by period_start)
            as previous_period_start,
        lag(cast(accepted_mql_count as {{ type_double() }}) / nullif(mql_count, 0)) over (
            partition by period_grain
            order by period_start
        ) as lagged_mql_to_sal_rate
    from period_totals

),

indicators as (

    select
        period_measures.*,
        where_did_that_lead_go_count / weeks_in_period as where_did_that_lead_go_per_week,
        cast(rejected_mql_count as {{ type_double() }}) / nullif(mql_count, 0)
            as mql_rejection_rate,
        cast(unknown_reason_rejection_count as {{ type_double() }}) / nullif(rejection_count, 0)
            as unknown_rejection_reason_share,
        cast(within_sla_count as {{ type_double() }}) / nullif(mql_count, 0)
            as sla_compliance_rate,
        -- Only the quarter right before counts as "the quarter before". Three months, not
        -- 'quarter': PostgreSQL has no quarter interval.
        case
            when period_grain = 'quarter'
                and previous_period_start = {{ dbt.dateadd('month', -3, 'period_start') }}
                then lagged_mql_to_sal_rate
        end as previous_quarter_mql_to_sal_rate
    from period_measures

),

final as (

    select
        {{ dbt.concat(["period_grain", "'|'", 'cast(period_start as ' ~ dbt.type_string() ~ ')']) }}
            as health_period_id,
        period_grain,
        period_start,
        weeks_in_period,

        ---------- where did that lead go?
        mql_count,
        where_did_that_lead_go_count,
        where_did_that_lead_go_per_week,
        cast({{ indicators['where_did_that_lead_go_per_week'] }} as {{ type_double() }}) as where_did_that_lead_go_threshold,
        where_did_that_lead_go_per_week > {{ indicators['where_did_that_lead_go_per_week'] }}
            as is_where_did_that_lead_go_warning,

        ---------- rejections
        rejected_mql_count,
        mql_rejection_rate,
        rejection_count,
        unknown_reason_rejection_count,
        unknown_rejection_reason_share,
        cast({{ indicators['unknown_rejection_reason_share'] }} as {{ type_double() }}) as unknown_rejection_reason_threshold,
        coalesce(
            unknown_rejection_reason_share > {{ indicators['unknown_rejection_reason_share'] }},
            false
        ) as is_unknown_rejection_reason_warning,

        ---------- handoff SLA
        within_sla_count,
        sla_compliance_rate,
        cast({{ indicators['sla_compliance_target'] }} as {{ type_double() }}) as sla_compliance_target,
        coalesce(sla_compliance_rate < {{ indicators['sla_compliance_target'] }}, false)
            as is_sla_compliance_warning,

        ---------- pipeline: marketing-reported vs CRM
        created_opportunity_count as crm_opportunity_count,
        crm_pipeline_amount,
        influenced_opportunity_count,
        influenced_pipeline_amount,
        marketing_sourced_opportunity_count,
        marketing_sourced_pipeline_amount,
        influenced_not_sourced_count,
        sourced_not_influenced_count,
        active_opportunity_count,
        {{ dbt.concat([
            "'Of '", 'cast(created_opportunity_count as ' ~ dbt.type_string() ~ ')',
            "' opportunities created in the period (the CRM number), '",
            'cast(influenced_opportunity_count as ' ~ dbt.type_string() ~ ')',
            "' were marketing-influenced (a marketing touch by one of their people within " ~ lookback_days ~ " days before creation) and '",
            'cast(marketing_sourced_opportunity_count as ' ~ dbt.type_string() ~ ')',
            "' marketing-sourced (lead source of marketing); '",
            'cast(influenced_not_sourced_count as ' ~ dbt.type_string() ~ ')',
            "' influenced were sourced by sales, a partner or an unknown source, and '",
            'cast(sourced_not_influenced_count as ' ~ dbt.type_string() ~ ')',
            "' marketing-sourced had no counted touch in the window. '",
            'cast(active_opportunity_count as ' ~ dbt.type_string() ~ ')',
            "' opportunities were active (open) at the end of the period, whenever created. Influenced and sourced overlap and active counts open deals of any age: each is a subset of the one CRM pipeline, not a rival number.'"
        ]) }} as pipeline_reconciliation_note,

        ---------- MQL to SAL
        accepted_mql_count,
        mql_to_sal_rate,
        previous_quarter_mql_to_sal_rate,
        cast({{ indicators['mql_to_sal_healthy_rate'] }} as {{ type_double() }}) as mql_to_sal_healthy_threshold,
        case
            when period_grain = 'quarter'
                then coalesce(
                    mql_to_sal_rate > {{ indicators['mql_to_sal_healthy_rate'] }}
                    and previous_quarter_mql_to_sal_rate > {{ indicators['mql_to_sal_healthy_rate'] }},
                    false
                )
        end as is_mql_to_sal_healthy,

        ---------- all warnings of the period
        (case when where_did_that_lead_go_per_week > {{ indicators['where_did_that_lead_go_per_week'] }} then 1 else 0 end)
        + (case when unknown_rejection_reason_share > {{ indicators['unknown_rejection_reason_share'] }} then 1 else 0 end)
        + (case when sla_compliance_rate < {{ indicators['sla_compliance_target'] }} then 1 else 0 end)
            as warning_count
    from indicators

)

select * from final
