{#- Custom schemas are used as written (`staging`, not `main_staging`): every environment gets
    its own database file or database, so the schema prefix dbt adds by default buys nothing. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
