{#- Written after a CTE's `as` (`source as <this> (`): a CTE read more than once is then
    inlined at each read instead of copied first. DuckDB and PostgreSQL copy such a CTE by
    default; Spark always inlines and has no such keyword. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'revops')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    {{ return('not materialized') }}
{%- endmacro %}

{% macro postgres__not_materialized() -%}
    {{ return('not materialized') }}
{%- endmacro %}
