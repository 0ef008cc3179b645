-- Returns each attribution model, quarter and segment whose credited pipeline (attributed +
-- 'unattributed') differs from fct_opportunities' pipeline of that quarter and segment, in
-- cents. The rule: sums of unrounded doubles, each rounded to 2 decimals once; they must be
-- equal. Won revenue is checked the same way. So are the opportunities: each one's credits
-- sum to 1 under every model, so the credited opportunities of a group are its count in
-- fct_opportunities, up to floating error (tolerance 1e-6) - an opportunity a model left out,
-- even one without an amount, shows here. Zero rows is the only pass.

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
        count(*) as opportunities,
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
        sum(opportunity_credit) as opportunities,
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
        expected.opportunities as crm_opportunities,
        credited.opportunities as credited_opportunities,
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
    or credited_opportunities is null
    or abs(credited_opportunities - crm_opportunities) > 1e-6
