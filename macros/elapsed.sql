{#- Durations are reported in decimal hours or days with two decimals (0.01 day is ~15 minutes):
    datediff in whole days would turn 23 hours into 0 and one minute past midnight into 1.
    Counted in seconds, then cast to numeric before dividing so PostgreSQL's round() accepts it,
    and cast again after rounding: one column type (dbt.type_numeric) on every adapter. -#}
{% macro elapsed(from_timestamp, to_timestamp, unit) -%}
    {%- set seconds_per_unit = {'hour': 3600, 'day': 86400} -%}
    {%- if unit not in seconds_per_unit -%}
        {{ exceptions.raise_compiler_error(
            "elapsed(): unit must be one of " ~ seconds_per_unit | list | join(', ') ~ ", got '" ~ unit ~ "'"
        ) }}
    {%- endif -%}
    cast(
        round(
            cast({{ dbt.datediff(from_timestamp, to_timestamp, 'second') }} as {{ dbt.type_numeric() }})
            / {{ seconds_per_unit[unit] }},
            2
        )
        as {{ dbt.type_numeric() }}
    )
{%- endmacro %}
