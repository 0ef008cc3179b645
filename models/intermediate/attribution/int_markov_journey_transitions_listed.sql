{#- The steps of every journey the data-driven model is fitted on: one row per step from one
    Markov state to the next, read off the touch that makes it (int_markov_transitions_counted
    counts them).

    A journey is one person's attribution-eligible touches (fct_touchpoints), as a channel
    path: converting when the person reached an opportunity (fct_lead_lifecycle.opportunity_at),
    the path then being their touches in the var attribution.lookback_days before it; otherwise
    their touches in the same number of days up to their last touch. Repeats of the same
    channel in a row are one step (webinar, webinar, email -> webinar, email): a self-loop
    changes no removal effect and only slows the solve. States: 'start', the channels,
    and the absorbing 'conversion' and 'null' (left without converting).

    Refit (var attribution.markov_refit): 'monthly' (the default) fits the chain on the
    journeys as they stood when the month of the newest touch began (fitted_before) - touches
    before that moment, converting when the opportunity came before it - so the channel
    weights, and every Markov credit of fct_attribution, hold still through a month and move
    when one closes (or when a correction reaches the months fitted). 'daily' fits on every
    touch, so each day's journeys move the weights and the daily run rewrites every Markov
    credit (2.9M rows at 1M leads, DECISIONLOG.md, session 10).

    Incremental, by person: a run recomputes the journeys of the people whose touches
    fct_touchpoints recomputed since this model's last run (it recomputes every touch of a
    person whose touches or milestones changed), of the people who held a step read off such a
    touch or off a touch gone since, and everyone's when the fit moved (a month closed, or the
    refit setting changed); macro markov_journeys_changed_since_last_run, staged and deleted
    by the pre-hooks of incremental_changed_keys. A change of var attribution.lookback_days
    needs `--full-refresh`. Equal to a full rebuild: tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='person_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ incremental_stage_changed_keys(markov_journeys_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('person_id') }}",
    ],
    post_hook=["{{ incremental_drop_changed_keys() }}"],
) }}
{%- set settings = var('attribution') -%}
{%- set lookback_days = settings['lookback_days'] -%}
{%- set refit = settings.get('markov_refit', 'monthly') -%}
{%- if refit not in ('monthly', 'daily') -%}
    {{ exceptions.raise_compiler_error(
        "var attribution.markov_refit must be 'monthly' or 'daily', not '" ~ refit ~ "'") }}
{%- endif %}

{#- The touches a journey is made of; fct_touchpoints is read twice with it (the touches, and
    each person's last touch), not through one CTE: DuckDB would materialise that whole. -#}
{%- set eligible_touches_filter -%}
    eligible_touches.is_attribution_eligible
        and eligible_touches.person_id is not null
        {%- if refit == 'monthly' %}
        and eligible_touches.touched_at < fit_window.fitted_before
        {%- endif %}
        {%- if is_incremental() %}
        and eligible_touches.person_id in (select people_in_scope.person_id from people_in_scope)
        {%- endif %}
{%- endset %}

with

fit_window as (

    {{ markov_fit_window_select() | indent(4) }}

),

{% if is_incremental() -%}
-- The people this run recomputes, staged by the pre-hook (markov_journeys_changed_since_last_run).
people_in_scope as (

    select person_id
    from {{ changed_keys_relation() }}

),
{%- endif %}

touchpoints as (

    select
        eligible_touches.person_id,
        eligible_touches.touchpoint_id,
        eligible_touches.touched_at,
        eligible_touches.channel
    from {{ ref('fct_touchpoints') }} as eligible_touches
    {%- if refit == 'monthly' %}
    cross join fit_window
    {%- endif %}
    where {{ eligible_touches_filter }}

),

last_touches as (

    select
        eligible_touches.person_id,
        max(eligible_touches.touched_at) as last_touched_at
    from {{ ref('fct_touchpoints') }} as eligible_touches
    {%- if refit == 'monthly' %}
    cross join fit_window
    {%- endif %}
    where {{ eligible_touches_filter }}
    group by eligible_touches.person_id

),

{% if refit == 'monthly' -%}
-- A person whose opportunity came after the fit's moment had not converted by then.
lifecycles as (

    select
        lifecycles.person_id,
        case
            when lifecycles.opportunity_at < fit_window.fitted_before then lifecycles.opportunity_at
        end as opportunity_at
    from {{ ref('fct_lead_lifecycle') }} as lifecycles
    cross join fit_window

),
{%- else -%}
lifecycles as (

    select
        person_id,
        opportunity_at
    from {{ ref('fct_lead_lifecycle') }}

),
{%- endif %}

-- One row per person with a journey: where it ends (at the opportunity, or at the last touch).
journey_ends as (

    select
        last_touches.person_id,
        lifecycles.opportunity_at is not null as is_converting,
        coalesce(lifecycles.opportunity_at, last_touches.last_touched_at) as journey_ends_at
    from last_touches
    left join lifecycles
        on last_touches.person_id = lifecycles.person_id

),

-- The touches of each journey's window, each with the channels of the touches before and
-- after it: one sort serves both (a grouped CTE joined back, a window for the journey end,
-- then a second numbering of the steps took 1.2 s more of the 3.7 s at 1M leads).
journey_touches as (

    select
        touchpoints.person_id,
        touchpoints.touchpoint_id,
        touchpoints.channel,
        journey_ends.is_converting,
        lag(touchpoints.channel) over (
            partition by touchpoints.person_id
            order by touchpoints.touched_at, touchpoints.touchpoint_id
        ) as previous_channel,
        lead(touchpoints.channel) over (
            partition by touchpoints.person_id
            order by touchpoints.touched_at, touchpoints.touchpoint_id
        ) as next_channel
    from touchpoints
    inner join journey_ends
        on touchpoints.person_id = journey_ends.person_id
    where touchpoints.touched_at <= journey_ends.journey_ends_at
        and touchpoints.touched_at >= {{ dbt.dateadd('day', -1 * lookback_days, 'journey_ends.journey_ends_at') }}

),

-- A step is a touch whose channel differs from the touch before it: the touch before a step
-- is in the previous step's channel, and the last touch in the last step's, so each
-- transition is read off one touch.
transitions as (

    select
        person_id,
        touchpoint_id,
        'start' as from_state,
        channel as to_state
    from journey_touches
    where previous_channel is null

    union all

    select
        person_id,
        touchpoint_id,
        previous_channel as from_state,
        channel as to_state
    from journey_touches
    where previous_channel <> channel

    union all

    select
        person_id,
        touchpoint_id,
        channel as from_state,
        case when is_converting then 'conversion' else 'null' end as to_state
    from journey_touches
    where next_channel is null

),

final as (

    select
        transitions.person_id,
        transitions.touchpoint_id,
        transitions.from_state,
        transitions.to_state,
        fit_window.fitted_before,
        {{ run_stamp() }} as recomputed_at
    from transitions
    cross join fit_window

)

select * from final
