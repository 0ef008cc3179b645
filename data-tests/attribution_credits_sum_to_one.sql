-- Returns each opportunity and attribution model whose credits do not sum to 1, and each
-- opportunity of fct_opportunities a model left out. Credits are doubles divided per
-- opportunity: their sum may differ from 1 by floating error (measured up to 5e-15 on the
-- demo data), so the tolerance is 1e-9 - far below a cent on any deal under $10M.

with

attribution as (

    select * from {{ ref('fct_attribution') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

presets as (

    select * from {{ ref('def_attribution_presets') }}

),

credit_sums as (

    select
        attribution_model,
        opportunity_id,
        sum(attribution_credit) as credit_sum
    from attribution
    group by
        attribution_model,
        opportunity_id

),

final as (

    select
        presets.attribution_model,
        opportunities.opportunity_id,
        credit_sums.credit_sum
    from opportunities
    cross join presets
    left join credit_sums
        on opportunities.opportunity_id = credit_sums.opportunity_id
        and presets.attribution_model = credit_sums.attribution_model
    where credit_sums.credit_sum is null
        or abs(credit_sums.credit_sum - 1) > 1e-9

)

select * from final
