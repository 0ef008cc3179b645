{#- The moment the Markov chain is fitted as of (var attribution.markov_refit), as a one-row
    select of fitted_before: under 'monthly', the start of the month of the newest eligible
    touch; under 'daily', null (every touch counts). -#}
{% macro markov_fit_window_select() -%}
{%- if var('attribution').get('markov_refit', 'monthly') == 'monthly' -%}
select {{ dbt.date_trunc('month', 'max(touched_at)') }} as fitted_before
from {{ ref('fct_touchpoints') }}
where is_attribution_eligible
    and person_id is not null
{%- else -%}
select cast(null as {{ dbt.type_timestamp() }}) as fitted_before
{%- endif -%}
{%- endmacro %}

{#-
    The people int_markov_journey_transitions_listed recomputes on an incremental run (its
    pre-hook; see incremental_changed_keys), as person_id. A person's journey is made of their
    eligible touches (fct_touchpoints: person, time, channel, eligibility) and ends at their
    opportunity (fct_lead_lifecycle.opportunity_at), as of the fit's moment. fct_touchpoints
    recomputes every touch of a person whose touches or lifecycle milestones changed, and
    stamps them (macro run_stamp), so a person is recomputed when
      - a touch fct_touchpoints recomputed since this model's last run is theirs now;
      - they hold a step read off such a touch, or off a touch gone from fct_touchpoints
        since (its gone-keys log): the person a moved or deleted touch belonged to before;
      - the fit moved (a month closed, or var attribution.markov_refit changed), or the
        table holds no step: then everyone.
    Without run stamps (a table built before them) everyone is recomputed once.
-#}
{% macro markov_journeys_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set fit_moved = true -%}
{%- if 'recomputed_at' in stored_columns and 'fitted_before' in stored_columns -%}
    {%- set fits = run_query(
        "select (select count(*) from " ~ this ~ "), (select max(fitted_before) from " ~ this
        ~ "), current_fit.fitted_before from (" ~ markov_fit_window_select() ~ ") as current_fit"
    ).rows[0] -%}
    {%- set fit_moved = fits[0] == 0 or fits[1] != fits[2] -%}
{%- endif -%}
{%- if fit_moved -%}
select person_id from {{ ref('fct_touchpoints') }} where person_id is not null
union
select person_id from {{ this }}
{%- else -%}
with

recomputed_touches as (

    select
        touchpoint_id,
        person_id
    from {{ ref('fct_touchpoints') }}
    where recomputed_at > {{ last_run_stamp_before_this_run() }}

)

select person_id from recomputed_touches where person_id is not null
union
select stored.person_id
from {{ this }} as stored
where stored.touchpoint_id in (select recomputed_touches.touchpoint_id from recomputed_touches)
    or stored.touchpoint_id in (
        {{ keys_gone_since_last_run(ref('fct_touchpoints'), 'touchpoint_id') | indent(8) }}
    )
{%- endif -%}
{%- endmacro %}
