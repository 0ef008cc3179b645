-- Returns each attribution model, quarter and segment whose credited pipeline (attributed +
-- 'unattributed') differs from fct_opportunities' pipeline of that quarter and segment, in
-- cents. The rule: sums of unrounded doubles, each rounded to 2 decimals once; they must be
-- equal. Won revenue is checked the same way. Zero rows is the only pass.

with

metrics as (

    select * from {{ ref('metrics_attribution') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

presets as (

    select * from {{ ref('def_attribution_presets') }}

),

crm_totals as (

    select
        cast({{ dbt.date_trunc('quarter', 'created_date') }} as date) as opportunity_quarter,
        coalesce(segment_code, 'unknown') as segment_code,
        sum(amount_reporting) as pipeline,
        sum(case when is_won then amount_reporting else 0 end) as won_revenue
    from opportunities
    group by
        cast({{ dbt.date_trunc('quarter', 'created_date') }} as date),
        coalesce(segment_code, 'unknown')

),

expected as (

    select
        presets.attribution_model,
        crm_totals.*
    from crm_totals
    cross join presets

),

credited as (

    select
        attribution_model,
        opportunity_quarter,
        segment_code,
        sum(pipeline_credit) as pipeline,
        sum(revenue_credit) as won_revenue
    from metrics
    group by
        attribution_model,
        opportunity_quarter,
        segment_code

),

final as (

    select
        expected.attribution_model,
        expected.opportunity_quarter,
        expected.segment_code,
        round(cast(expected.pipeline as {{ dbt.type_numeric() }}), 2) as crm_pipeline,
        round(cast(credited.pipeline as {{ dbt.type_numeric() }}), 2) as credited_pipeline,
        round(cast(expected.won_revenue as {{ dbt.type_numeric() }}), 2) as crm_won_revenue,
        round(cast(credited.won_revenue as {{ dbt.type_numeric() }}), 2) as credited_won_revenue
    from expected
    left join credited
        on expected.attribution_model = credited.attribution_model
        and expected.opportunity_quarter = credited.opportunity_quarter
        and expected.segment_code = credited.segment_code

)

select * from final
where crm_pipeline <> credited_pipeline
    or (crm_pipeline is null) <> (credited_pipeline is null)
    or crm_won_revenue <> credited_won_revenue
