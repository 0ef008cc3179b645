-- Returns each position-based preset whose five weights do not sum to 1 (or that has a
-- negative weight), and a row if var attribution.model_in_force names no preset. Weights
-- are typed with up to 3 decimals (0.225), so 1e-9 only absorbs float error.

with

presets as (

    select * from {{ ref('def_attribution_presets') }}

),

bad_weights as (

    select
        attribution_model,
        'weights do not sum to 1' as problem
    from presets
    where weighting_method = 'position'
        and (
            abs(
                first_touch_weight + lead_creation_weight + opportunity_creation_weight
                + closed_won_weight + middle_weight - 1
            ) > 1e-9
            or first_touch_weight < 0
            or lead_creation_weight < 0
            or opportunity_creation_weight < 0
            or closed_won_weight < 0
            or middle_weight < 0
        )

),

model_in_force as (

    select
        '{{ var("attribution")["model_in_force"] }}' as attribution_model,
        'var attribution.model_in_force names no preset' as problem
    from (select 1 as one) as single_row
    where not exists (
        select 1
        from presets
        where presets.attribution_model = '{{ var("attribution")["model_in_force"] }}'
    )

),

final as (

    select * from bad_weights
    union all
    select * from model_in_force

)

select * from final
