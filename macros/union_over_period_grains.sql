{#-
    Every row of `relation` once per period grain, with the start of the period that holds
    `at_column`: `period_grain`, `period_start` (a date), then the relation's own columns.
    The funnel reports months and quarters from the same rows (metrics_funnel).
-#}
{% macro union_over_period_grains(relation, at_column, period_grains) -%}
    {%- for grain in period_grains %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, at_column) }} as date) as period_start,
        {{ relation }}.*
    from {{ relation }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
