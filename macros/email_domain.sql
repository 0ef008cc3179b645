{#- The part after the first '@'; null when the address has none. split_part past the last
    part returns '' on PostgreSQL and Spark but null on DuckDB, hence the nullif. -#}
{% macro email_domain(column) -%}
    nullif({{ dbt.split_part(normalized_email(column), "'@'", 2) }}, '')
{%- endmacro %}
