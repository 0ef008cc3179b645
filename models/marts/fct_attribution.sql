{#- One row per opportunity, touch and attribution model (def_attribution_presets), plus one
    'unattributed' row per opportunity and model when no touch is eligible, so that every
    model accounts for every opportunity of fct_opportunities exactly once.

    How a position-based model's weights combine (the rule, tested in _marts__attribution.yml):
      1. A touch gets the sum of the weights of every milestone it holds (first touch, lead
         creation, opportunity creation, closed won): one touch that is both first and lead
         creation touch under u_shaped holds 40% + 40%.
      2. The middle weight is spread equally over the touches that hold no milestone with a
         non-zero weight in the model.
      3. Weights with no touch to go to (a milestone no touch holds, e.g. no touch before the
         lead was created or a deal not won; a middle share with no middle touch) are not
         lost: every touch's credit is its weight divided by the sum of the weights that
         found a touch, i.e. the missing weight is shared out in proportion to the rest.
      4. If no weight found a touch at all (a custom model weighting only a milestone nobody
         holds), the touches share the credit equally.
    So every model's credits for an opportunity sum to 1. Linear: equal credit. Time decay:
    weight 0.5 ^ (days before opportunity creation / var time_decay_half_life_days).
    Markov: the channel's weight (int_markov_removal_effects_computed); rules 3 and 4 apply.

    Money: pipeline_credit = credit x amount_reporting and revenue_credit = credit x
    amount_reporting for won deals (0 otherwise), both unrounded doubles; sums are rounded
    to the cent only at the end (the reconciliation rule, see the YAML). -#}
{%- set settings = var('attribution') -%}

with

journey_touches as (

    select * from {{ ref('int_touchpoints_joined_to_opportunities') }}

),

presets as (

    select * from {{ ref('def_attribution_presets') }}

),

channel_weights as (

    select * from {{ ref('int_markov_removal_effects_computed') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

eligible_touches as (

    select
        presets.attribution_model,
        presets.weighting_method,
        presets.middle_weight,
        journey_touches.*,
        case when journey_touches.is_first_touch then presets.first_touch_weight else 0 end
        + case when journey_touches.is_lead_creation_touch then presets.lead_creation_weight else 0 end
        + case when journey_touches.is_opportunity_creation_touch then presets.opportunity_creation_weight else 0 end
        + case when journey_touches.is_closed_won_touch then presets.closed_won_weight else 0 end
            as milestone_weight
    from journey_touches
    cross join presets
    where journey_touches.is_before_opportunity_creation
        or presets.journey_end = 'closed'

),

touches_classified as (

    select
        eligible_touches.*,
        eligible_touches.weighting_method = 'position'
            and eligible_touches.milestone_weight = 0 as is_middle_touch,
        count(*) over (
            partition by eligible_touches.opportunity_id, eligible_touches.attribution_model
        ) as eligible_touch_count
    from eligible_touches

),

touches_weighted as (

    select
        touches_classified.*,
        case
            when touches_classified.weighting_method = 'position'
                then touches_classified.milestone_weight
                    + case
                        when touches_classified.is_middle_touch
                            then touches_classified.middle_weight / sum(
                                case when touches_classified.is_middle_touch then 1 else 0 end
                            ) over (
                                partition by touches_classified.opportunity_id,
                                touches_classified.attribution_model
                            )
                        else 0
                    end
            when touches_classified.weighting_method = 'linear'
                then 1.0
            when touches_classified.weighting_method = 'time_decay'
                -- Past 1,000 half-lives the weight is 0: PostgreSQL raises on the underflow
                -- of 0.5 ^ 1075 where DuckDB returns 0.
                then case
                    when touches_classified.days_before_opportunity_creation
                        / cast({{ settings['time_decay_half_life_days'] }} as {{ type_double() }}) > 1000
                        then 0
                    else power(
                        0.5,
                        touches_classified.days_before_opportunity_creation
                        / cast({{ settings['time_decay_half_life_days'] }} as {{ type_double() }})
                    )
                end
            when touches_classified.weighting_method = 'markov'
                then coalesce(channel_weights.channel_weight, 0)
        end as raw_weight
    from touches_classified
    left join channel_weights
        on touches_classified.channel = channel_weights.channel

),

touches_credited as (

    select
        touches_weighted.*,
        case
            when sum(raw_weight) over (partition by opportunity_id, attribution_model) > 0
                then raw_weight / sum(raw_weight) over (partition by opportunity_id, attribution_model)
            else 1.0 / eligible_touch_count
        end as attribution_credit
    from touches_weighted

),

attributed_rows as (

    select
        attribution_model,
        opportunity_id,
        touchpoint_id,
        person_id,
        linked_by,
        channel,
        channel_group,
        campaign_id,
        activity_type,
        touched_at,
        touch_number,
        eligible_touch_count,
        is_first_touch,
        is_lead_creation_touch,
        is_opportunity_creation_touch,
        is_closed_won_touch,
        is_middle_touch,
        true as is_attributed,
        raw_weight,
        attribution_credit
    from touches_credited

),

attributed_opportunities as (

    select distinct
        attribution_model,
        opportunity_id
    from attributed_rows

),

unattributed_rows as (

    select
        presets.attribution_model,
        opportunities.opportunity_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as {{ dbt.type_string() }}) as linked_by,
        'unattributed' as channel,
        'unattributed' as channel_group,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as activity_type,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at,
        cast(null as {{ dbt.type_bigint() }}) as touch_number,
        cast(0 as {{ dbt.type_bigint() }}) as eligible_touch_count,
        false as is_first_touch,
        false as is_lead_creation_touch,
        false as is_opportunity_creation_touch,
        false as is_closed_won_touch,
        false as is_middle_touch,
        false as is_attributed,
        cast(null as {{ type_double() }}) as raw_weight,
        cast(1.0 as {{ type_double() }}) as attribution_credit
    from opportunities
    cross join presets
    left join attributed_opportunities
        on opportunities.opportunity_id = attributed_opportunities.opportunity_id
        and presets.attribution_model = attributed_opportunities.attribution_model
    where attributed_opportunities.opportunity_id is null

),

credit_rows as (

    select * from attributed_rows
    union all
    select * from unattributed_rows

),

final as (

    select
        ---------- ids
        {{ dbt.concat([
            'credit_rows.attribution_model', "'|'",
            'credit_rows.opportunity_id', "'|'",
            "coalesce(credit_rows.touchpoint_id, 'unattributed')",
        ]) }} as attribution_id,
        credit_rows.attribution_model,
        credit_rows.opportunity_id,
        credit_rows.touchpoint_id,
        credit_rows.person_id,
        opportunities.account_id,
        credit_rows.campaign_id,

        ---------- touch
        credit_rows.channel,
        credit_rows.channel_group,
        credit_rows.activity_type,
        credit_rows.linked_by,
        credit_rows.touched_at,
        credit_rows.touch_number,
        credit_rows.eligible_touch_count,
        credit_rows.is_first_touch,
        credit_rows.is_lead_creation_touch,
        credit_rows.is_opportunity_creation_touch,
        credit_rows.is_closed_won_touch,
        credit_rows.is_middle_touch,
        credit_rows.is_attributed,

        ---------- opportunity
        opportunities.segment_code,
        opportunities.created_date as opportunity_created_date,
        cast({{ dbt.date_trunc('quarter', 'opportunities.created_date') }} as date) as opportunity_quarter,
        opportunities.is_won,
        opportunities.sourced_by as crm_sourced_by,
        credit_rows.attribution_model = '{{ settings["model_in_force"] }}' as is_model_in_force,

        ---------- credit
        credit_rows.raw_weight,
        credit_rows.attribution_credit,
        -- For reading and for exact comparison in unit tests; sums use attribution_credit.
        -- Rounded as numeric (PostgreSQL has no round(double, int)), read back as a double so
        -- 50.0000 and 50 are one value on both engines.
        cast(
            round(cast(100 * credit_rows.attribution_credit as {{ dbt.type_numeric() }}), 4)
            as {{ type_double() }}
        ) as credit_percent,
        credit_rows.attribution_credit * opportunities.amount_reporting as pipeline_credit,
        case
            when opportunities.is_won then credit_rows.attribution_credit * opportunities.amount_reporting
            else 0
        end as revenue_credit
    from credit_rows
    inner join opportunities
        on credit_rows.opportunity_id = opportunities.opportunity_id

)

select * from final
