{#- Exports write an empty field as '' and pad values with spaces; neither carries meaning. -#}
{% macro trimmed_or_null(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}
