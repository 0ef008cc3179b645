{#- The data-driven model's input: how often a journey stepped from one state to the next.
    One row per (from_state, to_state) with its count, summed over the steps of every
    journey (int_markov_journey_transitions_listed, kept incrementally per person: counting
    from every touch took 5.9 s of a 1M-lead daily run). -#}

with

transitions as (

    select * from {{ ref('int_markov_journey_transitions_listed') }}

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
