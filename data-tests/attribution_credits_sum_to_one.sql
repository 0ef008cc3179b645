-- Returns each opportunity and attribution model whose credits do not sum to 1, and each
-- opportunity of fct_opportunities a model left out. Credits are doubles divided per
-- opportunity: their sum may differ from 1 by floating error (measured up to 5e-15 on the
-- demo data), so the tolerance is 1e-9 - far below a cent on any deal under $10M.
-- The sums read the (opportunity, model) pairs the newest run wrote (fct_attribution rewrites
-- a pair whole, so their rows share its stamp; a full build stamps every row alike), as the
-- mart's generic tests do (macros/get_where_subquery.sql); `--vars '{test_every_row: true}'`
-- sums every pair. Grouping all 37M rows took 2.8 s of a 1M-lead daily run. The mart is read
-- where it is needed: one CTE over it, read twice, would be materialised whole (37M rows).

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

presets as (

    select * from {{ ref('def_attribution_presets') }}

),

newest_rows as (

    select * from {{ ref('fct_attribution') }}
    {%- if not var('test_every_row', false) %}
    where recomputed_at = (select max(recomputed_at) from {{ ref('fct_attribution') }})
    {%- endif %}

),

credit_sums as (

    select
        attribution_model,
        opportunity_id,
        sum(attribution_credit) as credit_sum
    from newest_rows
    group by
        attribution_model,
        opportunity_id

),

-- Every pair holds one row that is its first touch or its 'unattributed' row: the earliest
-- touch of a journey is eligible whenever any touch is. A pair without one is reported as
-- left out, so a row missing here can only raise a false alarm, never hide a gap.
held_pairs as (

    select distinct
        attribution_model,
        opportunity_id
    from {{ ref('fct_attribution') }}
    where touch_number = 1
        or not is_attributed

),

left_out as (

    select
        presets.attribution_model,
        opportunities.opportunity_id,
        cast(null as {{ type_double() }}) as credit_sum
    from opportunities
    cross join presets
    left join held_pairs
        on opportunities.opportunity_id = held_pairs.opportunity_id
        and presets.attribution_model = held_pairs.attribution_model
    where held_pairs.opportunity_id is null

),

final as (

    select * from left_out
    union all
    select
        attribution_model,
        opportunity_id,
        credit_sum
    from credit_sums
    where abs(credit_sum - 1) > 1e-9

)

select * from final
