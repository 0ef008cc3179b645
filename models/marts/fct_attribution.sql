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
    to the cent only at the end (the reconciliation rule, see the YAML).

    Incremental: an opportunity's credits depend on all of its journey, and the Markov
    model's on every journey (its channel weights), so a run recomputes whole
    (opportunity, model) pairs, replaced by delete+insert on that pair: every model of an
    opportunity whose own facts changed (fct_opportunities compared with the copy of them
    the last run kept, <model>__opps_read, macro attribution_opportunities_saved) or
    whose journey changed (a touch of a contact or of the account entered, left or moved
    in its window, or changed channel, time or milestone; compared with the rows of one
    reference model, for the journeys int_touchpoints_joined_to_opportunities recomputed
    since this model's last run (run stamps, macro run_stamp) and those it no longer holds),
    plus the Markov rows whose stored channel weight is no longer the current one. A deleted
    opportunity's rows go in the post-hook; a change of presets needs `--full-refresh`. Equal to a full rebuild: tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key=['opportunity_id', 'attribution_model'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=[
        "{{ incremental_delete_gone_rows('opportunity_id', ref('fct_opportunities')) }}",
        "{{ attribution_opportunities_saved() }}",
    ],
) }}
{%- set settings = var('attribution') -%}
{#- A table built before the opportunity columns the comparison reads, or the run stamps,
    existed is rebuilt whole once (delete+insert of every pair; on_schema_change adds them). -#}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
    if is_incremental() else [] -%}
{%- set is_incremental_run = 'amount_reporting' in stored_columns and 'recomputed_at' in stored_columns -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set journey_columns = [
    'person_id', 'linked_by', 'channel', 'channel_group', 'campaign_id', 'activity_type',
    'touched_at', 'touch_number', 'is_first_touch', 'is_lead_creation_touch',
    'is_opportunity_creation_touch', 'is_closed_won_touch',
] -%}
{%- set opportunity_columns = attribution_opportunity_columns() -%}
{%- set opportunities_read = input_copy_relation('opps') if is_incremental_run else none -%}
{%- set compare_with_copy = is_incremental_run and relation_exists_now(opportunities_read) -%}

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

{% if is_incremental_run %}

-- The stored rows are read where they are needed, column by column: one CTE over all of
-- them, read three times, would be materialised whole (34M rows at 1M leads).
last_run as (

    select coalesce(max(recomputed_at), {{ never }}) as recomputed_at
    from {{ this }}

),

-- The journey of every opportunity is compared in one model's rows: one whose journey runs
-- to the close when there is one (its rows hold every journey touch), else the first.
reference_preset as (

    select
        attribution_model,
        journey_end
    from presets
    order by case when journey_end = 'closed' then 0 else 1 end, attribution_model
    limit 1

),

-- Only journeys recomputed since this model's last run can differ, and journeys no longer
-- there at all (an attributed opportunity without a journey touch left).
recomputed_journeys as (

    select distinct journey_touches.opportunity_id
    from journey_touches
    cross join last_run
    where journey_touches.recomputed_at > last_run.recomputed_at

    union

    select stored_rows.opportunity_id
    from {{ this }} as stored_rows
    inner join reference_preset
        on stored_rows.attribution_model = reference_preset.attribution_model
    left join (select distinct opportunity_id from journey_touches) as journeys
        on stored_rows.opportunity_id = journeys.opportunity_id
    where stored_rows.is_attributed
        and journeys.opportunity_id is null

),

current_journeys as (

    select journey_touches.*
    from journey_touches
    cross join reference_preset
    where (
            journey_touches.is_before_opportunity_creation
            or reference_preset.journey_end = 'closed'
        )
        and journey_touches.opportunity_id in (select opportunity_id from recomputed_journeys)

),

stored_journeys as (

    select stored_rows.*
    from {{ this }} as stored_rows
    inner join reference_preset
        on stored_rows.attribution_model = reference_preset.attribution_model
    where stored_rows.is_attributed
        and stored_rows.opportunity_id in (select opportunity_id from recomputed_journeys)

),

journey_changes as (

    select coalesce(current_journeys.opportunity_id, stored_journeys.opportunity_id) as opportunity_id
    from current_journeys
    full outer join stored_journeys
        on current_journeys.opportunity_id = stored_journeys.opportunity_id
        and current_journeys.touchpoint_id = stored_journeys.touchpoint_id
    where current_journeys.touchpoint_id is null
        or stored_journeys.touchpoint_id is null
        {%- for column in journey_columns %}
        or current_journeys.{{ column }} is distinct from stored_journeys.{{ column }}
        {%- endfor %}

),

-- The opportunity facts the stored rows were computed from: the copy the last run kept
-- (attribution_opportunities_saved); on the first run after an upgrade, one row per
-- opportunity of the reference model's stored rows.
stored_opportunities as (

    {%- if compare_with_copy %}

    select * from {{ opportunities_read }}

    {%- else %}

    select stored_rows.*
    from {{ this }} as stored_rows
    inner join reference_preset
        on stored_rows.attribution_model = reference_preset.attribution_model
    where stored_rows.touch_number = 1
        or not stored_rows.is_attributed

    {%- endif %}

),

opportunity_changes as (

    select opportunities.opportunity_id
    from opportunities
    left join stored_opportunities
        on opportunities.opportunity_id = stored_opportunities.opportunity_id
    where stored_opportunities.opportunity_id is null
        {%- for current, stored in opportunity_columns %}
        or opportunities.{{ current }} is distinct from stored_opportunities.{{ stored }}
        {%- endfor %}

),

-- Markov rows whose stored channel weight is no longer the channel's weight. The solve sums
-- doubles in parallel: two runs over the same journeys differ in the last bits (21,499 of
-- 26,817 Markov rows at 10k leads), so only a change above 1e-12 counts.
markov_changes as (

    select distinct
        stored_rows.opportunity_id,
        stored_rows.attribution_model
    from {{ this }} as stored_rows
    inner join presets
        on stored_rows.attribution_model = presets.attribution_model
    left join channel_weights
        on stored_rows.channel = channel_weights.channel
    where presets.weighting_method = 'markov'
        and stored_rows.is_attributed
        and (
            stored_rows.raw_weight is null
            or abs(stored_rows.raw_weight - coalesce(channel_weights.channel_weight, 0)) > 1e-12
        )

),

affected_pairs as (

    select
        changed_opportunities.opportunity_id,
        presets.attribution_model
    from (
        select opportunity_id from journey_changes
        union
        select opportunity_id from opportunity_changes
        {%- if backfill_window() %}
        -- revops backfill: every opportunity created, or touched, on its days.
        union
        select opportunity_id from opportunities
        where {{ in_backfill_window('opportunities.created_at') }}
        union
        select opportunity_id from journey_touches
        where {{ in_backfill_window('journey_touches.touched_at') }}
        {%- endif %}
    ) as changed_opportunities
    cross join presets
    union
    select
        opportunity_id,
        attribution_model
    from markov_changes

),

-- The journey touches of the affected opportunities only (~1M of 3.3M at 1M leads): crossed
-- with every preset before the filter, all of them made 34M rows a day to keep 0.8M.
journey_touches_in_scope as (

    select *
    from journey_touches
    where opportunity_id in (select opportunity_id from affected_pairs)

),

{% else %}

journey_touches_in_scope as (

    select * from journey_touches

),

{% endif %}

eligible_touches as (

    select
        presets.attribution_model,
        presets.weighting_method,
        presets.middle_weight,
        journey_touches_in_scope.opportunity_id,
        journey_touches_in_scope.touchpoint_id,
        journey_touches_in_scope.channel,
        journey_touches_in_scope.days_before_opportunity_creation,
        case when journey_touches_in_scope.is_first_touch then presets.first_touch_weight else 0 end
        + case when journey_touches_in_scope.is_lead_creation_touch then presets.lead_creation_weight else 0 end
        + case when journey_touches_in_scope.is_opportunity_creation_touch then presets.opportunity_creation_weight else 0 end
        + case when journey_touches_in_scope.is_closed_won_touch then presets.closed_won_weight else 0 end
            as milestone_weight
    from journey_touches_in_scope
    cross join presets
    {% if is_incremental_run %}
    inner join affected_pairs
        on journey_touches_in_scope.opportunity_id = affected_pairs.opportunity_id
        and presets.attribution_model = affected_pairs.attribution_model
    {% endif %}
    where journey_touches_in_scope.is_before_opportunity_creation
        or presets.journey_end = 'closed'

),

-- The weights are computed on narrow rows (the touch's key, channel and timing; 34M rows at
-- 1M leads) with per-(opportunity, model) counts as grouped aggregates joined back; the
-- journey columns join once at the end. Three window passes over wide cross-joined rows
-- spilled 16 GB at 1M leads (DECISIONLOG.md, 2026-12-01).
touches_classified as (

    select
        eligible_touches.*,
        eligible_touches.weighting_method = 'position'
            and eligible_touches.milestone_weight = 0 as is_middle_touch
    from eligible_touches

),

touch_counts as (

    select
        opportunity_id,
        attribution_model,
        count(*) as eligible_touch_count,
        sum(case when is_middle_touch then 1 else 0 end) as middle_touch_count
    from touches_classified
    group by opportunity_id, attribution_model

),

touches_weighted as (

    select
        touches_classified.*,
        touch_counts.eligible_touch_count,
        case
            when touches_classified.weighting_method = 'position'
                then touches_classified.milestone_weight
                    + case
                        when touches_classified.is_middle_touch
                            then touches_classified.middle_weight / touch_counts.middle_touch_count
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
    inner join touch_counts
        on touches_classified.opportunity_id = touch_counts.opportunity_id
        and touches_classified.attribution_model = touch_counts.attribution_model
    left join channel_weights
        on touches_classified.channel = channel_weights.channel

),

weight_totals as (

    select
        opportunity_id,
        attribution_model,
        sum(raw_weight) as total_raw_weight
    from touches_weighted
    group by opportunity_id, attribution_model

),

touches_credited as (

    select
        touches_weighted.*,
        case
            when weight_totals.total_raw_weight > 0
                then touches_weighted.raw_weight / weight_totals.total_raw_weight
            else 1.0 / touches_weighted.eligible_touch_count
        end as attribution_credit
    from touches_weighted
    inner join weight_totals
        on touches_weighted.opportunity_id = weight_totals.opportunity_id
        and touches_weighted.attribution_model = weight_totals.attribution_model

),

attributed_rows as (

    select
        touches_credited.attribution_model,
        touches_credited.opportunity_id,
        touches_credited.touchpoint_id,
        journey_touches_in_scope.person_id,
        journey_touches_in_scope.linked_by,
        journey_touches_in_scope.channel,
        journey_touches_in_scope.channel_group,
        journey_touches_in_scope.campaign_id,
        journey_touches_in_scope.activity_type,
        journey_touches_in_scope.touched_at,
        journey_touches_in_scope.touch_number,
        touches_credited.eligible_touch_count,
        journey_touches_in_scope.is_first_touch,
        journey_touches_in_scope.is_lead_creation_touch,
        journey_touches_in_scope.is_opportunity_creation_touch,
        journey_touches_in_scope.is_closed_won_touch,
        touches_credited.is_middle_touch,
        true as is_attributed,
        touches_credited.raw_weight,
        touches_credited.attribution_credit,
        -- One row per model, opportunity, channel and campaign counts the opportunity there
        -- (the earliest touch of the journey's), so metrics_attribution sums instead of
        -- counting distinct opportunities: that count grouped 17.2M rows at 1M leads every day.
        case
            when presets.journey_end = 'closed' then journey_touches_in_scope.is_first_channel_campaign_touch_to_close
            else journey_touches_in_scope.is_first_channel_campaign_touch_to_creation
        end as counts_opportunity
    from touches_credited
    inner join journey_touches_in_scope
        on touches_credited.opportunity_id = journey_touches_in_scope.opportunity_id
        and touches_credited.touchpoint_id = journey_touches_in_scope.touchpoint_id
    inner join presets
        on touches_credited.attribution_model = presets.attribution_model

),

-- The pairs with an eligible touch (touch_counts has one row per pair): read from there, the
-- 34M attributed rows are not kept a second time for this look-up.
attributed_opportunities as (

    select
        attribution_model,
        opportunity_id
    from touch_counts

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
        cast(1.0 as {{ type_double() }}) as attribution_credit,
        true as counts_opportunity
    from opportunities
    cross join presets
    {% if is_incremental_run %}
    inner join affected_pairs
        on opportunities.opportunity_id = affected_pairs.opportunity_id
        and presets.attribution_model = affected_pairs.attribution_model
    {% endif %}
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
        opportunities.created_at as opportunity_created_at,
        opportunities.created_date as opportunity_created_date,
        opportunities.close_date as opportunity_close_date,
        cast({{ dbt.date_trunc('quarter', 'opportunities.created_date') }} as date) as opportunity_quarter,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.amount_reporting,
        opportunities.sourced_by as crm_sourced_by,
        credit_rows.attribution_model = '{{ settings["model_in_force"] }}' as is_model_in_force,
        credit_rows.counts_opportunity,

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
        end as revenue_credit,

        ---------- lineage
        {{ run_stamp() }} as recomputed_at
    from credit_rows
    inner join opportunities
        on credit_rows.opportunity_id = opportunities.opportunity_id

)

select * from final
