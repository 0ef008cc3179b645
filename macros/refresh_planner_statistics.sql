{#- PostgreSQL plans with table statistics, and a table dbt has just created has none until
    autovacuum gets to it: the planner then assumes a row or two, picks nested loops, and
    re-runs windowed staging views once per row. Measured on 1,000 demo leads: fct_rejections
    took 91-142 s before its inputs were analysed, 0.11 s after. Used as a post-hook on the
    tables other models read. DuckDB keeps statistics as it writes: nothing to do there. -#}
{% macro refresh_planner_statistics(relation) -%}
    {{ return(adapter.dispatch('refresh_planner_statistics', 'revops')(relation)) }}
{%- endmacro %}

{% macro default__refresh_planner_statistics(relation) -%}
{%- endmacro %}

{% macro postgres__refresh_planner_statistics(relation) -%}
    analyze {{ relation }}
{%- endmacro %}
