{#- Written after a CTE's `as` (`source as <this> (`): a CTE read more than once is then
    inlined at each read instead of copied first. Only DuckDB's staging models read their
    source more than once (macro latest_versions), so only DuckDB gets the keyword; Spark has
    none and always inlines. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'revops')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    {{ return('not materialized') }}
{%- endmacro %}
