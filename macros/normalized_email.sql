{% macro normalized_email(column) -%}
    lower({{ trimmed_or_null(column) }})
{%- endmacro %}
