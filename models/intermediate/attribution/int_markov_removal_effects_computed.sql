{#- One row per channel: its Markov-chain removal effect and its share of all removal
    effects (the weight fct_attribution's markov model gives a touch in the channel).

    The chain: transition probabilities from int_markov_transitions_counted. Removing a
    channel sends every step into it to 'null'; its removal effect is
    1 - P(conversion without it) / P(conversion). P(conversion) is read from the matrix power
    P^(2^12) (12 squarings: 4,096 steps; one squaring is macro markov_matrix_squared) at
    (start, conversion), in SQL (joins and sums) so it runs on every engine: a journey that has
    not been absorbed after 4,096 steps is negligible for channel paths of tens of steps.
    revops/attribution/markov.py solves the same chain exactly with numpy;
    tests/test_attribution.py checks that the two agree to 1e-9. -#}
{%- set squarings = 12 -%}

with

transitions as (

    select * from {{ ref('int_markov_transitions_counted') }}

),

probabilities as (

    select
        from_state,
        to_state,
        cast(transition_count as {{ type_double() }})
            / sum(transition_count) over (partition by from_state) as probability
    from transitions

),

channels as (

    select distinct from_state as channel
    from transitions
    where from_state <> 'start'

),

scenarios as (

    select '(baseline)' as removed_channel
    union all
    select channel as removed_channel from channels

),

scenario_steps as (

    select
        scenarios.removed_channel,
        probabilities.from_state,
        case
            when probabilities.to_state = scenarios.removed_channel then 'null'
            else probabilities.to_state
        end as to_state,
        probabilities.probability
    from scenarios
    cross join probabilities
    where probabilities.from_state <> scenarios.removed_channel

    union all

    select
        scenarios.removed_channel,
        absorbing_states.state_name as from_state,
        absorbing_states.state_name as to_state,
        1.0 as probability
    from scenarios
    cross join (
        select 'conversion' as state_name
        union all
        select 'null' as state_name
    ) as absorbing_states

),

matrix_power_0 as (

    select
        removed_channel,
        from_state,
        to_state,
        sum(probability) as probability
    from scenario_steps
    group by
        removed_channel,
        from_state,
        to_state

),

{% for power in range(1, squarings + 1) %}
matrix_power_{{ power }} as (
{{ markov_matrix_squared('matrix_power_' ~ (power - 1)) }}
),

{% endfor %}
conversion_probabilities as (

    select
        scenarios.removed_channel,
        coalesce(sum(matrix_power_{{ squarings }}.probability), 0) as conversion_probability
    from scenarios
    left join matrix_power_{{ squarings }}
        on scenarios.removed_channel = matrix_power_{{ squarings }}.removed_channel
        and matrix_power_{{ squarings }}.from_state = 'start'
        and matrix_power_{{ squarings }}.to_state = 'conversion'
    group by scenarios.removed_channel

),

removal_effects as (

    select
        channels.channel,
        baseline.conversion_probability as baseline_conversion_probability,
        removed.conversion_probability as conversion_probability_without_channel,
        case
            when baseline.conversion_probability > 0
                then 1 - removed.conversion_probability / baseline.conversion_probability
            else 0
        end as removal_effect
    from channels
    inner join conversion_probabilities as removed
        on channels.channel = removed.removed_channel
    cross join (
        select conversion_probability
        from conversion_probabilities
        where removed_channel = '(baseline)'
    ) as baseline

),

final as (

    select
        channel,
        baseline_conversion_probability,
        conversion_probability_without_channel,
        -- Floating error can leave -1e-17 where removing a channel changes nothing.
        case when removal_effect < 0 then 0 else removal_effect end as removal_effect,
        case
            when sum(case when removal_effect > 0 then removal_effect else 0 end) over () > 0
                then (case when removal_effect > 0 then removal_effect else 0 end)
                    / sum(case when removal_effect > 0 then removal_effect else 0 end) over ()
            else 0
        end as channel_weight
    from removal_effects

)

select * from final
