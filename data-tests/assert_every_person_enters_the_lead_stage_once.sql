-- Every person of dim_people has exactly one lead-stage event in fct_lifecycle_events (the
-- moment they became known), and every person with events is in dim_people. A returned row
-- is a person with zero or several lead events; threshold 0, since funnel volumes count
-- people by their lead event.

with

people as (

    select * from {{ ref('dim_people') }}

),

lead_events as (

    select
        person_id,
        count(*) as lead_event_count
    from {{ ref('fct_lifecycle_events') }}
    where stage_code = 'lead'
    group by person_id

)

select
    coalesce(people.person_id, lead_events.person_id) as person_id,
    coalesce(lead_events.lead_event_count, 0) as lead_event_count
from people
full outer join lead_events
    on people.person_id = lead_events.person_id
where people.person_id is null
    or coalesce(lead_events.lead_event_count, 0) != 1
