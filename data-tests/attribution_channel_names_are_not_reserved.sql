-- Returns each def_channel_mapping rule whose channel is a reserved name: 'start',
-- 'conversion' and 'null' are states of the Markov chain (int_markov_transitions_counted) and
-- 'unattributed' names fct_attribution's row for a deal without a touch; a channel with one
-- of these names would silently merge with them.

with

channel_mapping as (

    select * from {{ ref('def_channel_mapping') }}

),

final as (

    select
        utm_source,
        utm_medium,
        channel
    from channel_mapping
    where channel in ('start', 'conversion', 'null', 'unattributed')

)

select * from final
