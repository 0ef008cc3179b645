{#- The data-driven model's input: how often a journey stepped from one state to the next.
    One row per (from_state, to_state) with its count.

    A journey is one person's attribution-eligible touches (fct_touchpoints), as a channel
    path: converting when the person reached an opportunity (fct_lead_lifecycle.opportunity_at),
    the path then being their touches in the var attribution.lookback_days before it; otherwise
    their touches in the same number of days up to their last touch. Repeats of the same
    channel in a row are one step (webinar, webinar, email -> webinar, email): a self-loop
    changes no removal effect and only slows the solve. States: 'start', the channels,
    and the absorbing 'conversion' and 'null' (left without converting).

    Refit (var attribution.markov_refit): 'monthly' (the default) fits the chain on the
    journeys as they stood when the month of the newest touch began - touches before that
    moment, converting when the opportunity came before it - so the channel weights, and every
    Markov credit of fct_attribution, hold still through a month and move when one closes
    (or when a correction reaches the months fitted). 'daily' fits on every touch, so each
    day's journeys move the weights and the daily run rewrites every Markov credit (2.9M rows
    at 1M leads, DECISIONLOG.md, session 10). -#}
{%- set settings = var('attribution') -%}
{%- set lookback_days = settings['lookback_days'] -%}
{%- set refit = settings.get('markov_refit', 'monthly') -%}
{%- if refit not in ('monthly', 'daily') -%}
    {{ exceptions.raise_compiler_error(
        "var attribution.markov_refit must be 'monthly' or 'daily', not '" ~ refit ~ "'") }}
{%- endif %}

with

{% if refit == 'monthly' -%}
-- fct_touchpoints is read twice, not through one CTE: DuckDB would materialise that whole.
fit_window as (

    select {{ dbt.date_trunc('month', 'max(touched_at)') }} as fitted_before
    from {{ ref('fct_touchpoints') }}
    where is_attribution_eligible
        and person_id is not null

),

touchpoints as (

    select eligible_touches.*
    from {{ ref('fct_touchpoints') }} as eligible_touches
    cross join fit_window
    where eligible_touches.is_attribution_eligible
        and eligible_touches.person_id is not null
        and eligible_touches.touched_at < fit_window.fitted_before

),

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
touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where is_attribution_eligible
        and person_id is not null

),

lifecycles as (

    select * from {{ ref('fct_lead_lifecycle') }}

),
{%- endif %}

-- Each touch with its person's journey end, from one read of the touches (a window, not a
-- grouped CTE joined back: the touches CTE read twice was materialised whole).
touches_with_journey_ends as (

    select
        touchpoints.person_id,
        touchpoints.touchpoint_id,
        touchpoints.touched_at,
        touchpoints.channel,
        lifecycles.opportunity_at is not null as is_converting,
        coalesce(
            lifecycles.opportunity_at,
            max(touchpoints.touched_at) over (partition by touchpoints.person_id)
        ) as journey_ends_at
    from touchpoints
    left join lifecycles
        on touchpoints.person_id = lifecycles.person_id

),

journey_touches as (

    select
        person_id,
        touchpoint_id,
        touched_at,
        channel,
        is_converting,
        lag(channel) over (
            partition by person_id
            order by touched_at, touchpoint_id
        ) as previous_channel
    from touches_with_journey_ends
    where touched_at <= journey_ends_at
        and touched_at >= {{ dbt.dateadd('day', -1 * lookback_days, 'journey_ends_at') }}

),

journey_steps as (

    select
        person_id,
        channel,
        is_converting,
        row_number() over (
            partition by person_id
            order by touched_at, touchpoint_id
        ) as step_number,
        count(*) over (partition by person_id) as step_count
    from journey_touches
    where previous_channel is null
        or previous_channel <> channel

),

transitions as (

    select
        'start' as from_state,
        channel as to_state
    from journey_steps
    where step_number = 1

    union all

    select
        journey_steps.channel as from_state,
        next_steps.channel as to_state
    from journey_steps
    inner join journey_steps as next_steps
        on journey_steps.person_id = next_steps.person_id
        and journey_steps.step_number + 1 = next_steps.step_number

    union all

    select
        channel as from_state,
        case when is_converting then 'conversion' else 'null' end as to_state
    from journey_steps
    where step_number = step_count

),

final as (

    select
        from_state,
        to_state,
        count(*) as transition_count
    from transitions
    group by
        from_state,
        to_state

)

select * from final
