{#- The attribution window of an opportunity (var attribution.lookback_days): from that many
    days before its creation, up to the close (the close date is a date: the whole day
    counts; an open deal has no end), and always up to its creation. One rule for
    int_touchpoints_joined_to_opportunities and for the opportunities its incremental runs
    recompute (opportunity_journeys_changed_since_last_run). -#}
{% macro attribution_window_closed_before(is_closed, close_date) -%}
    case
        when {{ is_closed }}
            then {{ dbt.dateadd('day', 1, 'cast(' ~ close_date ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
    end
{%- endmacro %}

{% macro in_attribution_window(touched_at, created_at, closed_before) -%}
    {{ touched_at }} >= {{ dbt.dateadd('day', -1 * var('attribution')['lookback_days'], created_at) }}
    and (
        {{ closed_before }} is null
        or {{ touched_at }} < {{ closed_before }}
        or {{ touched_at }} <= {{ created_at }}
    )
{%- endmacro %}
