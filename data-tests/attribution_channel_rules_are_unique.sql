-- Returns each (utm_source, utm_medium) pair def_channel_mapping maps more than once: a
-- duplicate rule would count every matching touch twice in fct_touchpoints.

with

channel_mapping as (

    select * from {{ ref('def_channel_mapping') }}

),

final as (

    select
        utm_source,
        utm_medium,
        count(*) as rule_count
    from channel_mapping
    group by
        utm_source,
        utm_medium
    having count(*) > 1

)

select * from final
